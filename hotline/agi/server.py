"""The FastAGI server: accepts Asterisk's connections and runs one handler per session.

Written on asyncio streams rather than panoramisk's fast_agi: that one spins forever on a
connection that closes before the env block's blank line, which is exactly what a TCP
health check does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

from hotline.agi.env import (
    AgiEnvRefused,
    EnvPrefix,
    claimed_args,
    env_prefix,
    parse_env,
    split_env_block,
)
from hotline.agi.errors import AgiError, AgiHangup
from hotline.agi.session import AgiSession
from hotline.clock import Clock
from hotline.tasks import stop_task

log = logging.getLogger(__name__)

Handler = Callable[[AgiSession], Awaitable[None]]
#: Told of every refused env block (what the block said where the caller cannot reach,
#: and the arguments it claims, a hint only), so that the call gets a record
#: (`hotline.controller.refused_env`).
RefusedHandler = Callable[[EnvPrefix, tuple[str, ...]], Awaitable[None]]

# Where the dialplan sends a caller whose menu could not run (extensions.conf: anything
# but hold/hangup in HOTLINE_NEXT goes to [hotline-fallback], a person).
NEXT_VARIABLE = "HOTLINE_NEXT"
HANGUP_NOTICE = b"HANGUP\n"
FALLBACK = "fallback"


class EnvBlockError(AgiError):
    """The env block never ended properly: EOF, too large or too slow."""


class FastAgiServer:
    """Serves `handlers`, keyed by `agi_network_script` (`ivr`, `hold`).

    An env block that is not exactly what Asterisk sends (`hotline.agi.env`: a caller ID
    with line feeds), or bytes after it before our first command, is refused: the caller
    goes to the dialplan's fallback (HOTLINE_NEXT=fallback, then the connection closes, so
    AGI() returns) and `on_refused` hears of it. Limits are in real seconds: they bound
    socket reads, not call logic.
    """

    def __init__(
        self,
        handlers: Mapping[str, Handler],
        clock: Clock,
        *,
        env_timeout_s: float = 5.0,
        env_max_bytes: int = 16 * 1024,
        drain_timeout_s: float = 2.0,
        close_timeout_s: float = 5.0,
        on_refused: RefusedHandler | None = None,
    ) -> None:
        self._handlers = dict(handlers)
        self._on_refused = on_refused
        self._clock = clock
        self._env_timeout_s = env_timeout_s
        self._env_max_bytes = env_max_bytes
        self._drain_timeout_s = drain_timeout_s
        self._close_timeout_s = close_timeout_s
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def active_sessions(self) -> int:
        """Connections being served right now (env block read, handler or close)."""
        return len(self._sessions)

    async def wait_idle(self) -> None:
        """Return once no connection is being served (tests and shutdown "run until idle")."""
        await self._idle.wait()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen; returns the port (the kernel's choice for port 0)."""
        if self._server is not None:
            raise RuntimeError("FastAgiServer already started")
        self._server = await asyncio.start_server(self._serve, host, port)
        bound: int = self._server.sockets[0].getsockname()[1]
        log.info("FastAGI listening on %s:%d", host, bound)
        return bound

    async def close(self) -> None:
        """Stop listening, give running sessions `close_timeout_s`, then cancel them."""
        server, self._server = self._server, None
        if server is not None:
            server.close()  # stop accepting; wait_closed() below, once sessions are over
        pending = set(self._sessions)
        if pending:
            _, still_running = await asyncio.wait(pending, timeout=self._close_timeout_s)
            if still_running:
                log.warning("FastAGI close: cancelling %d session(s)", len(still_running))
            for task in still_running:
                await stop_task(task)
        if server is not None:
            # Python 3.12.1+ waits here for every connection to close: done by now.
            await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        self._idle.clear()
        peer = writer.get_extra_info("peername")
        try:
            await self._serve_connection(reader, writer, peer)
        finally:
            self._sessions.discard(task)
            if not self._sessions:
                self._idle.set()

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: object
    ) -> None:
        try:
            block, after = await self._read_env_block(reader)
        except AgiError as exc:
            log.info("FastAGI connection from %s dropped: %s", peer, exc)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            return
        # The script and channel are read by position, before the first key a caller's
        # text can follow: the dispatch does not rest on the strict checks alone.
        prefix = env_prefix(block)
        try:
            if after and after != HANGUP_NOTICE:
                # Asterisk sends nothing after the blank line until it has a command, but a
                # hang-up (below): these bytes came in a caller ID (a forged "200 result=1").
                raise AgiEnvRefused(f"{len(after)} bytes after the env block before any command")
            # A bare HANGUP: the caller hung up before our first command (res_agi tells a
            # FastAGI server so at once). Dropped here; the first command then answers 511
            # and the session knows the channel is dead.
            env = parse_env(block)
            if env.network_script != prefix.network_script:
                raise AgiEnvRefused("env: the script is not the one at line 2")
        except AgiEnvRefused as exc:
            await self._refuse(reader, writer, prefix, claimed_args(block), exc)
            return
        session = AgiSession(reader, writer, env, self._clock)
        try:
            await self._run_handler(session)
        finally:
            await session.finish(self._drain_timeout_s)

    async def _refuse(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        prefix: EnvPrefix,
        args: tuple[str, ...],
        exc: AgiEnvRefused,
    ) -> None:
        """Fallback for the caller, a record for the call, a warning without values."""
        log.warning(
            "FastAGI env block refused (script %r, channel %s): %s",
            prefix.network_script or "?",
            prefix.channel or "?",
            exc,
        )
        if self._on_refused is not None:
            try:
                await self._on_refused(prefix, args)
            except Exception:
                log.exception("%s: recording a refused env block failed", prefix.channel)
        # Raw, not through AgiSession: forged replies may sit in the stream, so nothing
        # read here is trusted. The dialplan goes to [hotline-fallback] on
        # HOTLINE_NEXT=fallback, or on an empty HOTLINE_NEXT once AGI() returns.
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            writer.write(f"SET VARIABLE {NEXT_VARIABLE} {FALLBACK}\n".encode())
            await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
        try:
            async with asyncio.timeout(self._drain_timeout_s):
                while await reader.read(4096):
                    pass
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _read_env_block(self, reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
        """Read up to the blank line, within the size and time limits: the block, and
        the bytes that came after it in the same reads."""
        data = bytearray()
        try:
            async with asyncio.timeout(self._env_timeout_s):
                while (split := split_env_block(bytes(data))) is None:
                    if len(data) > self._env_max_bytes:
                        raise EnvBlockError(f"env block over {self._env_max_bytes} bytes")
                    chunk = await reader.read(4096)
                    if not chunk:
                        raise EnvBlockError(
                            f"closed after {len(data)} bytes, before the env "
                            "block ended (a TCP health check?)"
                        )
                    data += chunk
        except TimeoutError as exc:
            raise EnvBlockError(f"env block not complete within {self._env_timeout_s} s") from exc
        except ConnectionError as exc:
            raise EnvBlockError(f"connection lost during the env block: {exc}") from exc
        if len(split[0]) > self._env_max_bytes:
            raise EnvBlockError(f"env block over {self._env_max_bytes} bytes")
        return split

    async def _run_handler(self, session: AgiSession) -> None:
        env = session.env
        handler = self._handlers.get(env.network_script)
        if handler is None:
            log.warning("%s: no FastAGI script %r", env.channel, env.network_script)
            await _fall_back(session, f"hotline: unknown FastAGI script {env.network_script!r}")
            return
        try:
            await handler(session)
        except AgiHangup as exc:
            log.info("%s: %s ended by hangup: %s", env.channel, env.network_script, exc)
        except Exception:
            # A bug in a menu branch: the caller must still reach a person.
            log.exception("%s: FastAGI handler %r failed", env.channel, env.network_script)
            await _fall_back(session, None)


async def _fall_back(session: AgiSession, message: str | None) -> None:
    """Tell the dialplan to send the caller to [hotline-fallback]; best effort."""
    try:
        if message is not None:
            await session.verbose(message)
        await session.set_variable(NEXT_VARIABLE, FALLBACK)
    except AgiError as exc:
        channel = session.env.channel
        log.warning("%s: could not set %s=%s: %s", channel, NEXT_VARIABLE, FALLBACK, exc)

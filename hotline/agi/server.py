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

from hotline.agi.errors import AgiError, AgiHangup
from hotline.agi.protocol import parse_env
from hotline.agi.session import AgiSession
from hotline.clock import Clock
from hotline.tasks import stop_task

log = logging.getLogger(__name__)

Handler = Callable[[AgiSession], Awaitable[None]]

# Where the dialplan sends a caller whose menu could not run (extensions.conf: anything
# but hold/hangup in HOTLINE_NEXT goes to [hotline-fallback], a person).
NEXT_VARIABLE = "HOTLINE_NEXT"
FALLBACK = "fallback"


class EnvBlockError(AgiError):
    """The env block never ended properly: EOF, too large or too slow."""


class FastAgiServer:
    """Serves `handlers`, keyed by `agi_network_script` (`ivr`, `hold`).

    Limits are in real seconds: they bound socket reads, not call logic.
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
    ) -> None:
        self._handlers = dict(handlers)
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
            block = await self._read_env_block(reader)
            env = parse_env(block)
        except AgiError as exc:
            log.info("FastAGI connection from %s dropped: %s", peer, exc)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            return
        session = AgiSession(reader, writer, env, self._clock)
        try:
            await self._run_handler(session)
        finally:
            await session.finish(self._drain_timeout_s)

    async def _read_env_block(self, reader: asyncio.StreamReader) -> bytes:
        """Read up to the blank line, within the size and time limits."""
        block = bytearray()
        try:
            async with asyncio.timeout(self._env_timeout_s):
                while True:
                    line = await reader.readline()
                    if not line.endswith(b"\n"):
                        raise EnvBlockError(
                            f"closed after {len(block) + len(line)} bytes, before the env "
                            "block ended (a TCP health check?)"
                        )
                    if line in (b"\n", b"\r\n"):
                        return bytes(block)
                    block += line
                    if len(block) > self._env_max_bytes:
                        raise EnvBlockError(f"env block over {self._env_max_bytes} bytes")
        except TimeoutError as exc:
            raise EnvBlockError(f"env block not complete within {self._env_timeout_s} s") from exc
        except ValueError as exc:  # one line over the StreamReader limit
            raise EnvBlockError(f"env line too long: {exc}") from exc
        except ConnectionError as exc:
            raise EnvBlockError(f"connection lost during the env block: {exc}") from exc

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

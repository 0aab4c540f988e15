"""The Asterisk side of FastAGI: what `AGI(agi://host:port/script,args)` does.

Byte-compatible with Asterisk 22.10.1 as captured in ../shared/asterisk-reference/agi:
the env block, one reply per command line, `HANGUP\\n` on a hangup or Redirect (after the
pending command's `200 result=-1`), dead mode afterwards, and `HANGUP\\n` when the server
half-closes. The channel stays inside AGI() until the server closes the connection.

Not modelled: res_agi's stdio buffering, which leaves the second of two pipelined
commands unanswered until more bytes arrive (agi/06); here every complete line is
answered in turn. A real FastAGI server must not pipeline anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import urlsplit

from hotline.sim.agi_commands import (
    DEAD_CHANNEL,
    DEAD_TEXT,
    UNKNOWN_COMMAND,
    USAGE_FIRST,
    find_command,
    parse_args,
    usage_lines,
)
from hotline.sim.agi_handlers import AgiCommands, Reply
from hotline.sim.agi_host import AgiHost
from hotline.sim.channel import SimChannel
from hotline.sim.events import AGI, channel_event

log = logging.getLogger("hotline.sim.agi")

AGI_VERSION = "22.10.1"
MAX_AGI_CONNECT_S = 2.0  # res_agi.c compile-time constant (simulated seconds)
MIN_REAL_CONNECT_S = 0.5  # a fast clock must not turn a loopback connect into a timeout
HANGUP_AFTER_RESULT_S = 0.042  # res_agi notices the hangup one poll later (agi/03, 08a)
USAGE_DELAY_S = 0.045


def env_block(
    channel: SimChannel, request: str, script: str, args: list[str], thread_id: int
) -> bytes:
    """The `agi_*` lines in Asterisk's order, LF endings, ending in a blank line."""
    lines = [
        ("agi_network", "yes"),
        ("agi_network_script", script),
        ("agi_request", request),
        ("agi_channel", channel.name),
        ("agi_language", channel.language),
        ("agi_type", channel.tech),
        ("agi_uniqueid", channel.uniqueid),
        ("agi_version", AGI_VERSION),
        ("agi_callerid", channel.cid_num or "unknown"),
        ("agi_calleridname", channel.cid_name or "unknown"),
        ("agi_callingpres", "0"),
        ("agi_callingani2", "0"),
        ("agi_callington", "0"),
        ("agi_callingtns", "0"),
        ("agi_dnid", channel.dnid or "unknown"),
        ("agi_rdnis", "unknown"),
        ("agi_context", channel.context),
        ("agi_extension", channel.exten),
        ("agi_priority", str(channel.priority)),
        ("agi_enhanced", "0.0"),
        ("agi_accountcode", channel.accountcode),
        ("agi_threadid", str(thread_id)),
    ]
    lines += [(f"agi_arg_{n}", arg) for n, arg in enumerate(args, start=1)]
    return "".join(f"{key}: {value}\n" for key, value in lines).encode() + b"\n"


def split_agi_data(data: str) -> tuple[str, list[str]]:
    """`agi://host:port/script,arg1,arg2` into the URL and the arguments."""
    url, *args = data.split(",")
    return url.strip(), args


async def run_agi(host: AgiHost, channel: SimChannel, data: str) -> None:
    """AGI(): run a FastAGI session and set AGISTATUS (SUCCESS, FAILURE or HANGUP)."""
    url, args = split_agi_data(data)
    parts = urlsplit(url)
    script = parts.path.lstrip("/")
    limit_s = max(MAX_AGI_CONNECT_S / host.clock.speed, MIN_REAL_CONNECT_S)
    connection = await _connect(url, parts.hostname or "", parts.port or 4573, limit_s)
    if connection is None:
        log.warning("Couldn't connect to any host.  FastAGI failed.")
        host.set_channel_var(channel, "AGISTATUS", "FAILURE")
        return
    reader, writer = connection
    session = _Session(host, channel, reader, writer)
    thread_id = host.rng.randrange(139_900_000_000_000, 140_000_000_000_000)
    status = await session.run(env_block(channel, url, script, args, thread_id))
    host.set_channel_var(channel, "AGISTATUS", status)


async def _connect(
    url: str, hostname: str, port: int, limit_real_s: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    # a socket timeout in real seconds (contracts.md allows it), scaled to the clock
    try:
        return await asyncio.wait_for(asyncio.open_connection(hostname, port), limit_real_s)
    except TimeoutError:
        log.warning(
            "FastAGI connection to '%s' timed out after MAX_AGI_CONNECT (2000) milliseconds.", url
        )
    except OSError as error:
        log.warning(
            "Connecting to '%s:%d' failed for url '%s': %s", hostname, port, url, error.strerror
        )
    return None


class _Session:
    def __init__(
        self,
        host: AgiHost,
        channel: SimChannel,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.host = host
        self.channel = channel
        self.reader = reader
        self.writer = writer
        self.commands = AgiCommands(host, channel)
        self.failed = False
        self.idle = asyncio.Event()
        self.idle.set()

    async def run(self, env: bytes) -> str:
        watcher = asyncio.get_running_loop().create_task(self._tell_server_when_dead())
        try:
            await self._write(env)
            while True:
                line = await self.reader.readline()
                if not line.endswith(b"\n"):
                    break  # EOF (half-close or close): Asterisk answers with HANGUP
                await self._command(line[:-1].decode("utf-8", errors="replace"))
            watcher.cancel()
            await self._write(b"HANGUP\n")
        finally:
            watcher.cancel()
            self.writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self.writer.wait_closed()
        if self.channel.interrupted.is_set():
            return "HANGUP"
        return "FAILURE" if self.failed else "SUCCESS"

    async def _write(self, data: bytes) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            self.writer.write(data)
            await self.writer.drain()

    async def _tell_server_when_dead(self) -> None:
        """On hangup or Redirect: stop AGI-started music at once, then send a bare HANGUP,
        about 40 ms after the `200 result=-1` of a command that was waiting."""
        await self.channel.interrupted.wait()
        self.host.stop_moh(self.channel)
        command_was_waiting = not self.idle.is_set()
        await self.idle.wait()
        if command_was_waiting:
            await self.host.clock.sleep(HANGUP_AFTER_RESULT_S)
        await self._write(b"HANGUP\n")

    async def _command(self, line: str) -> None:
        if not line.strip():
            return
        command_id = str(self.host.rng.randrange(1, 2**31))
        self.host.emit(self._exec_event("AGIExecStart", command_id, line))
        self.idle.clear()
        try:
            reply = await self._dispatch(parse_args(line))
            if reply.code == "-1":
                self.failed = True
            self.host.emit(self._exec_event("AGIExecEnd", command_id, line, reply.code, reply.text))
            await self._write(reply.first.encode() + b"\n")
            if reply.more:
                await self.host.clock.sleep(USAGE_DELAY_S)
                await self._write("".join(f"{extra}\n" for extra in reply.more).encode())
        finally:
            self.idle.set()

    async def _dispatch(self, argv: list[str]) -> Reply:
        spec = find_command(argv)
        if spec is None:
            return Reply(UNKNOWN_COMMAND, "510", "Invalid or unknown command")
        if self.channel.interrupted.is_set() and not spec.allowed_dead:
            return Reply(DEAD_CHANNEL, "511", DEAD_TEXT)
        if not spec.min_argc <= len(argv) <= spec.max_argc:
            return Reply(USAGE_FIRST, "520", "Usage", usage_lines(spec))
        return await self.commands.run(" ".join(spec.words), argv[len(spec.words) :])

    def _exec_event(
        self, name: str, command_id: str, line: str, code: str | None = None, text: str = ""
    ) -> list[tuple[str, str]]:
        extra = [("CommandId", command_id), ("Command", line)]
        if code is not None:
            extra += [("ResultCode", code), ("Result", text)]
        return channel_event(name, AGI, self.channel, *extra)

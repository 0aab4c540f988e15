"""One AGI session as res_agi runs it, whatever carries the bytes.

FastAGI (a TCP socket, hotline.sim.fastagi_client) and classic AGI (the pipes of a forked
script, hotline.sim.classic_agi) share everything but the transport: the env block goes
out, then one reply per command line, AGIExecStart/AGIExecEnd around each, 511 on a dead
channel. They differ in how Asterisk tells the script that the channel died (a bare
`HANGUP` line on the socket, SIGHUP to the child) and in how the session ends; an
`AgiTransport` supplies those.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

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

HANGUP_AFTER_RESULT_S = 0.042  # res_agi notices the hangup one poll later (agi/03, 08a)
USAGE_DELAY_S = 0.045


class LineReader(Protocol):
    async def readline(self) -> bytes: ...


class ByteWriter(Protocol):
    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...


class AgiTransport(Protocol):
    """What differs between FastAGI and classic AGI."""

    async def notify_dead(self) -> None:
        """The channel hung up or was redirected (res_agi's `needhup`)."""
        ...

    async def finish(self) -> bool:
        """The script closed its side (EOF): end the session. False means the script
        failed (classic AGI: a non-zero exit status), which makes AGISTATUS FAILURE."""
        ...


class AgiSession:
    """Runs the command loop over `reader`/`writer` until the script's side ends."""

    def __init__(
        self,
        host: AgiHost,
        channel: SimChannel,
        reader: LineReader,
        writer: ByteWriter,
        transport: AgiTransport,
    ) -> None:
        self.host = host
        self.channel = channel
        self.reader = reader
        self.writer = writer
        self.transport = transport
        self.commands = AgiCommands(host, channel)
        self.failed = False
        # AGI() on a channel that has already hung up (an `h` extension) runs in dead mode
        # from the start: res_agi then never signals a hangup and does not watch for one.
        self.started_dead = channel.interrupted.is_set()
        self.idle = asyncio.Event()
        self.idle.set()

    async def run(self, env: bytes) -> str:
        """The session; its AGISTATUS (SUCCESS, FAILURE or HANGUP)."""
        watcher = None
        if not self.started_dead:
            watcher = asyncio.get_running_loop().create_task(self._tell_script_when_dead())
        try:
            await self.write(env)
            while True:
                line = await self.reader.readline()
                if not line.endswith(b"\n"):
                    break  # EOF: the script closed its side (or went away)
                if self.is_failure_line(line):
                    self.failed = True
                    break
                await self._command(line[:-1].decode("utf-8", errors="replace"))
        finally:
            if watcher is not None:
                watcher.cancel()
        ok = await self.transport.finish()
        if self.channel.interrupted.is_set() and not self.started_dead:
            return "HANGUP"
        return "FAILURE" if self.failed or not ok else "SUCCESS"

    def is_failure_line(self, line: bytes) -> bool:
        """res_agi's special case: the forked child could not exec the script and says
        `failure`. (Checked for FastAGI too, as res_agi does.)"""
        return line[:7].lower() == b"failure"

    async def write(self, data: bytes) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            self.writer.write(data)
            await self.writer.drain()

    async def _tell_script_when_dead(self) -> None:
        """On hangup or Redirect: stop AGI-started music at once, then tell the script,
        about 40 ms after the `200 result=-1` of a command that was waiting."""
        await self.channel.interrupted.wait()
        self.host.stop_moh(self.channel)
        command_was_waiting = not self.idle.is_set()
        await self.idle.wait()
        if command_was_waiting:
            await self.host.clock.sleep(HANGUP_AFTER_RESULT_S)
        await self.transport.notify_dead()

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
            await self.write(reply.first.encode() + b"\n")
            if reply.more:
                await self.host.clock.sleep(USAGE_DELAY_S)
                await self.write("".join(f"{extra}\n" for extra in reply.more).encode())
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

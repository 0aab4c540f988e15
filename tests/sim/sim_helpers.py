"""hotline.sim test helpers: where the reference captures are, a scripted FastAGI server,
an event log with waiters."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from hotline.sim import Headers, SimPBX

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = REPO_ROOT.parent / "shared" / "asterisk-reference"
EXTENSIONS_CONF = REPO_ROOT / "config" / "asterisk" / "extensions.conf"
CLOCK_SPEED = 100.0


@dataclass
class AgiConnection:
    """One FastAGI session seen from our (test) server side."""

    env: dict[str, str]
    env_bytes: bytes
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    async def send(self, line: bytes) -> None:
        self.writer.write(line)
        await self.writer.drain()

    async def read_line(self, timeout_s: float = 5.0) -> bytes:
        return await asyncio.wait_for(self.reader.readline(), timeout_s)

    async def command(self, line: str) -> bytes:
        await self.send(line.encode() + b"\n")
        return await self.read_line()

    async def half_close_and_drain(self) -> bytes:
        """Shut our sending side and read everything until the PBX closes."""
        self.writer.write_eof()
        data = await asyncio.wait_for(self.reader.read(), 5.0)
        self.writer.close()
        return data


Handler = Callable[[AgiConnection], Awaitable[None]]


@dataclass
class ScriptedAgiServer:
    """A tiny FastAGI server: `handlers[script](connection)` plays the ivr/hold roles."""

    handlers: dict[str, Handler] = field(default_factory=dict)
    sessions: list[AgiConnection] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _failed: asyncio.Event = field(default_factory=asyncio.Event)

    async def until(self, done: asyncio.Event, timeout_s: float = 30.0) -> None:
        """Wait for `done`, failing at once with the handler's error if it raised."""
        waiters = [asyncio.ensure_future(done.wait()), asyncio.ensure_future(self._failed.wait())]
        try:
            await asyncio.wait(waiters, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        if self.errors:
            raise self.errors[0]
        assert done.is_set(), "the FastAGI script did not finish in time"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"agi://127.0.0.1:{self.port}"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        env_bytes = b""
        while True:
            line = await reader.readline()
            env_bytes += line
            if line in (b"\n", b""):
                break
        env = {}
        for raw in env_bytes.decode().splitlines():
            key, sep, value = raw.partition(": ")
            if sep:
                env[key] = value
        connection = AgiConnection(env, env_bytes, reader, writer)
        self.sessions.append(connection)
        handler = self.handlers.get(env.get("agi_network_script", ""))
        try:
            if handler is not None:
                await handler(connection)
            else:
                await connection.half_close_and_drain()
        except Exception as error:  # surfaced by the test through `errors`
            self.errors.append(error)
            self._failed.set()
            writer.close()


@dataclass
class EventLog:
    """Every event the PBX emitted, with waiters for the one a test needs next."""

    events: list[Headers] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, event: Headers) -> None:
        self.events.append(event)
        self._changed.set()

    def matching(self, name: str, **fields: str) -> list[Headers]:
        return [e for e in self.events if e[0] == ("Event", name) and _has(e, fields)]

    async def wait_until(self, condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
        async def until() -> None:
            while not condition():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(until(), timeout_s)

    async def wait_for(self, name: str, timeout_s: float = 10.0, **fields: str) -> Headers:
        async def first() -> Headers:
            while True:
                found = self.matching(name, **fields)
                if found:
                    return found[0]
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(first(), timeout_s)


def _has(event: Headers, fields: dict[str, str]) -> bool:
    values = dict(event)
    return all(values.get(key.replace("_", "-")) == value for key, value in fields.items())


PbxFactory = Callable[..., SimPBX]

"""Helpers for the AMI server tests: a fake PBX backend and a small AMI test client.

(Named test_ami_server_* so it stays with the AMI server's tests; it holds no tests.)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from hotline.sim import ami_wire as wire
from hotline.sim.ami_wire import Headers
from hotline.sim.errors import NoSuchChannel

READ_TIMEOUT_S = 5.0  # real seconds; generous, a passing test never waits this long


@dataclass(frozen=True)
class FakeOriginateResult:
    response: str
    reason: int
    channel: str
    uniqueid: str | None


@dataclass
class OriginateCall:
    channel: str
    kwargs: dict[str, object]


@dataclass
class FakePbx:
    """A PbxBackend whose state the test sets directly.

    `channels` maps names to CoreShowChannel bodies (in iteration order). Hanging up a
    Local half also removes its sibling, as a Local pair goes down together.
    `outcomes[channel]` lists the results of successive Originates of that channel. An
    Originate emits `originate_events`, then waits for `originate_gate` when set and for
    `gates[n]` when the n-th Originate (counting from 0) has one.
    """

    channels: dict[str, Headers] = field(default_factory=dict)
    variables: dict[tuple[str | None, str], str] = field(default_factory=dict)
    outcomes: dict[str, list[FakeOriginateResult]] = field(default_factory=dict)
    originate_events: list[Headers] = field(default_factory=list)
    originate_gate: asyncio.Event | None = None
    gates: dict[int, asyncio.Event] = field(default_factory=dict)
    uptime: float = 117.0
    listeners: list[Callable[[Headers], None]] = field(default_factory=list)
    originates: list[OriginateCall] = field(default_factory=list)
    redirects: list[tuple[str, str, str, str]] = field(default_factory=list)
    hangups: list[tuple[str, int]] = field(default_factory=list)

    def emit(self, headers: Headers) -> None:
        for listener in list(self.listeners):
            listener(headers)

    def subscribe(self, listener: Callable[[Headers], None]) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def channel_snapshots(self) -> list[Headers]:
        return [list(item) for item in self.channels.values()]

    def has_channel(self, name: str) -> bool:
        return name in self.channels

    async def originate(
        self,
        channel: str,
        *,
        context: str | None,
        exten: str | None,
        priority: str | None,
        application: str | None,
        data: str | None,
        variables: list[tuple[str, str]],
        caller_id: str | None,
        timeout_ms: int,
        channel_id: str | None = None,
    ) -> FakeOriginateResult:
        number = len(self.originates)
        self.originates.append(
            OriginateCall(
                channel,
                {
                    "context": context,
                    "exten": exten,
                    "priority": priority,
                    "application": application,
                    "data": data,
                    "variables": variables,
                    "caller_id": caller_id,
                    "timeout_ms": timeout_ms,
                },
            )
        )
        for event in self.originate_events:
            self.emit(event)
        if self.originate_gate is not None:
            await self.originate_gate.wait()
        if number in self.gates:
            await self.gates[number].wait()
        queue = self.outcomes.get(channel)
        if queue:
            return queue.pop(0)
        return FakeOriginateResult("Success", 4, f"{channel}-00000001;1", "1795316039.2")

    def redirect(self, channel: str, context: str, exten: str, priority: str) -> bool:
        if channel not in self.channels:
            return False
        self.redirects.append((channel, context, exten, priority))
        self.emit([("Event", "Newexten"), ("Privilege", "dialplan,all"), ("Channel", channel)])
        return True

    def hangup(self, channel: str, cause: int) -> bool:
        if channel not in self.channels:
            return False
        self.hangups.append((channel, cause))
        base = channel.rsplit(";", 1)[0]
        for name in [n for n in self.channels if n.rsplit(";", 1)[0] == base]:
            del self.channels[name]
        self.emit([("Event", "Hangup"), ("Privilege", "call,all"), ("Channel", channel)])
        return True

    def getvar(self, channel: str | None, name: str) -> str | None:
        if channel is not None and channel not in self.channels:
            raise NoSuchChannel(channel)
        return self.variables.get((channel, name))

    def setvar(self, channel: str | None, name: str, value: str) -> None:
        if channel is not None and channel not in self.channels:
            raise NoSuchChannel(channel)
        self.variables[(channel, name)] = value
        if channel is None:
            where: Headers = [("Channel", "none"), ("Uniqueid", "none")]
        else:
            where = [(k, v) for k, v in self.channels[channel] if k in SNAPSHOT_KEYS]
        event = [("Event", "VarSet"), ("Privilege", "dialplan,all"), *where]
        self.emit([*event, ("Variable", name), ("Value", value)])

    def uptime_s(self) -> float:
        return self.uptime


SNAPSHOT_KEYS = [
    "Channel",
    "ChannelState",
    "ChannelStateDesc",
    "CallerIDNum",
    "CallerIDName",
    "ConnectedLineNum",
    "ConnectedLineName",
    "Language",
    "AccountCode",
    "Context",
    "Exten",
    "Priority",
    "Uniqueid",
    "Linkedid",
]


class AmiTestClient:
    """Raw-bytes AMI client: send bytes, read whole messages, see EOF."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.received = b""
        self.eof = False
        self._messages: list[bytes] = []
        self._parsed = 0

    @classmethod
    async def connect(cls, port: int) -> AmiTestClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def action(self, *headers: tuple[str, str]) -> None:
        await self.send(wire.encode(list(headers)))

    def messages(self) -> list[bytes]:
        """The complete messages received so far (banner first)."""
        # Parse only the new bytes: a slow-client test receives megabytes.
        last = self.received.rfind(b"\r\n\r\n")
        end = last + 4 if last >= 0 else 0
        if not self._messages and self.received.startswith(wire.BANNER):
            end = max(end, len(wire.BANNER))
        if end > self._parsed:
            self._messages += wire.split_stream(self.received[self._parsed : end])
            self._parsed = end
        return list(self._messages)

    async def _read_more(self) -> None:
        data = await asyncio.wait_for(self.reader.read(65536), READ_TIMEOUT_S)
        if not data:
            self.eof = True
        self.received += data

    async def wait_for(self, predicate: Callable[[list[bytes]], bool]) -> list[bytes]:
        """Read until `predicate(messages)` holds; fail on EOF or timeout first."""
        while not predicate(self.messages()):
            if self.eof:
                raise AssertionError(f"EOF before the expected messages: {self.messages()!r}")
            await self._read_more()
        return self.messages()

    async def wait_count(self, count: int, keep: Callable[[bytes], bool]) -> list[bytes]:
        return await self.wait_for(lambda msgs: sum(map(keep, msgs)) >= count)

    async def reply(self, action_id: str) -> bytes:
        """The first message carrying `ActionID: action_id` right after `Response:`."""
        marker = f"\r\nActionID: {action_id}\r\n".encode()

        def found(msgs: list[bytes]) -> bool:
            return any(m.startswith(b"Response:") and marker in m for m in msgs)

        msgs = await self.wait_for(found)
        return next(m for m in msgs if m.startswith(b"Response:") and marker in m)

    async def read_to_eof(self) -> list[bytes]:
        while not self.eof:
            await self._read_more()
        return self.messages()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


def events_named(messages: list[bytes], name: str) -> list[bytes]:
    return [m for m in messages if m.startswith(f"Event: {name}\r\n".encode())]

"""AMI test helpers: the reference captures and a small scripted fake AMI server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hotline.ami.protocol import AmiMessage, AmiParser

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "asterisk-reference"
BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def reference_dir() -> Path:
    """The captures, next to the repository; a missing copy fails the test, never skips."""
    if not (REFERENCE / "ami" / "raw").is_dir():
        pytest.fail(f"Asterisk reference captures missing: expected {REFERENCE}")
    return REFERENCE


def server_records(name: str) -> list[bytes]:
    """The server->client payloads of ami/<name>.txt, one per message (banner first)."""
    data = (reference_dir() / "ami" / f"{name}.txt").read_bytes()
    _, _, rest = data.partition(b"\n")
    payloads: list[bytes] = []
    while rest:
        marker, _, rest = rest.partition(b"\n")
        words = marker.decode().split(" ")
        size = int(words[-2])
        if words[2] == "server->client":
            payloads.append(bytes(rest[:size]))
        rest = rest[size:]
    return payloads


def block(*headers: tuple[str, str]) -> bytes:
    return b"".join(f"{k}: {v}\r\n".encode() for k, v in headers) + b"\r\n"


ActionHandler = Callable[["FakeAmiConnection", AmiMessage], Awaitable[None]]


@dataclass
class FakeAmiConnection:
    index: int
    writer: asyncio.StreamWriter
    actions: list[AmiMessage] = field(default_factory=list)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def reply(self, action: AmiMessage, *headers: tuple[str, str]) -> None:
        """A response to `action`, ActionID second as Asterisk writes it."""
        status, *rest = headers
        await self.send(block(status, ("ActionID", action.action_id or ""), *rest))

    def drop(self) -> None:
        """Vanish, as a crashed Asterisk or a cut link would."""
        self.writer.close()


class FakeAmi:
    """Banner, Login (one user), Ping, and per-action handlers set by the test."""

    def __init__(self, username: str = "hotline", secret: str = "s3cret") -> None:
        self.username = username
        self.secret = secret
        self.connections: list[FakeAmiConnection] = []
        self.handlers: dict[str, ActionHandler] = {}
        self.silent_pings_on: set[int] = set()  # connection indexes that never get a Pong
        self.received: asyncio.Queue[tuple[int, AmiMessage]] = asyncio.Queue()
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port: int = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        for connection in self.connections:
            connection.writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def next_action(self, name: str) -> tuple[FakeAmiConnection, AmiMessage]:
        """Wait for the next action called `name` (others are skipped)."""
        async with asyncio.timeout(5):
            while True:
                index, action = await self.received.get()
                if (action.get("Action") or "").lower() == name.lower():
                    return self.connections[index], action

    def actions_named(self, name: str) -> list[tuple[int, AmiMessage]]:
        return [
            (c.index, a)
            for c in self.connections
            for a in c.actions
            if (a.get("Action") or "").lower() == name.lower()
        ]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = FakeAmiConnection(len(self.connections), writer)
        self.connections.append(connection)
        parser = AmiParser()
        await connection.send(BANNER)
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(4096):
                for action in parser.feed(data):
                    connection.actions.append(action)
                    await self._answer(connection, action)
                    self.received.put_nowait((connection.index, action))
        writer.close()

    async def _answer(self, connection: FakeAmiConnection, action: AmiMessage) -> None:
        name = (action.get("Action") or "").lower()
        if name == "login":
            await self._login(connection, action)
        elif name in self.handlers:
            await self.handlers[name](connection, action)
        elif name == "ping":
            if connection.index not in self.silent_pings_on:
                await connection.reply(
                    action, ("Response", "Success"), ("Ping", "Pong"), ("Timestamp", "1.0")
                )
        else:
            await connection.reply(action, ("Response", "Success"), ("Message", "ok"))

    async def _login(self, connection: FakeAmiConnection, action: AmiMessage) -> None:
        if (action.get("Username"), action.get("Secret")) != (self.username, self.secret):
            await connection.reply(
                action, ("Response", "Error"), ("Message", "Authentication failed")
            )
            connection.drop()
            return
        await connection.reply(
            action, ("Response", "Success"), ("Message", "Authentication accepted")
        )
        await connection.send(
            block(
                ("Event", "FullyBooted"),
                ("Privilege", "system,all"),
                ("Uptime", "117"),
                ("LastReload", "117"),
                ("Status", "Fully Booted"),
            )
        )

"""FastAGI test helpers: reference transcripts, res_agi's argument parser, a fake Asterisk."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from hotline.agi.server import FastAgiServer

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "asterisk-reference"


# start_server(handlers, **limits) -> (server, port), see conftest.py
ServerFactory = Callable[..., Awaitable[tuple[FastAgiServer, int]]]


@dataclass(frozen=True)
class Record:
    """One `### +<s>s <direction> <n> bytes` record of a transcript and its payload."""

    seconds: float
    direction: str
    payload: bytes


def read_transcript(path: Path) -> list[Record]:
    data = path.read_bytes()
    _, _, rest = data.partition(b"\n")  # the header comment line is ours
    records: list[Record] = []
    while rest:
        marker, _, rest = rest.partition(b"\n")
        words = marker.decode().split(" ")
        assert words[0] == "###", marker
        assert words[-1] == "bytes", marker
        size = int(words[-2])
        records.append(Record(float(words[1][1:-1]), " ".join(words[2:-2]), bytes(rest[:size])))
        rest = rest[size:]
    return records


def env_and_rest(records: list[Record]) -> tuple[bytes, list[Record]]:
    """Split a FastAGI transcript into its env block (blank line included) and the rest."""
    block = b""
    for index, record in enumerate(records):
        assert record.direction == "asterisk->agi"
        block += record.payload
        if record.payload == b"\n":
            return block, records[index + 1 :]
    raise AssertionError("no blank line ending the env block")


def parse_args(line: bytes) -> list[bytes]:
    """res_agi.c parse_args(), transcribed: space/tab split unless quoted or escaped,
    '"' toggles quoting (and opens a word off whitespace), '\\' escapes the next byte."""
    argv: list[bytearray] = []
    quoted = escaped = False
    whitespace = True
    for byte in line:
        char = bytes([byte])
        if char == b'"' and not escaped:
            quoted = not quoted
            if quoted and whitespace:
                argv.append(bytearray())
                whitespace = False
            continue
        if char in (b" ", b"\t") and not quoted and not escaped:
            whitespace = True
            continue
        if char == b"\\" and not escaped:
            escaped = True
            continue
        if whitespace:
            argv.append(bytearray())
            whitespace = False
        argv[-1] += char
        escaped = False
    return [bytes(a) for a in argv]


class FakeAsterisk:
    """The Asterisk end of one FastAGI connection, driven by the test."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int) -> FakeAsterisk:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def read_command(self) -> bytes:
        """The next command line from the server (b"" at its half-close)."""
        async with asyncio.timeout(5):
            return await self.reader.readline()

    async def expect(self, command: str, *answer: str) -> None:
        """The next command must parse like `command`; then send the answer lines."""
        line = await self.read_command()
        assert line.endswith(b"\n"), f"expected {command!r}, got EOF/partial {line!r}"
        assert parse_args(line.rstrip(b"\n")) == parse_args(command.encode()), (line, command)
        for text in answer:
            await self.send(text.encode() + b"\n")

    async def expect_half_close(self) -> None:
        """The server shut its side: answer with the final HANGUP and close, as Asterisk."""
        assert await self.read_command() == b""
        await self.send(b"HANGUP\n")
        await self.close()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


def reference_dir() -> Path:
    """The captures, next to the repository; a missing copy fails the test, never skips."""
    if not REFERENCE.is_dir():
        pytest.fail(f"Asterisk reference captures missing: expected {REFERENCE}")
    return REFERENCE


def load_transcript(prefix: str) -> list[Record]:
    matches = sorted((reference_dir() / "agi").glob(f"{prefix}-*.txt"))
    assert len(matches) == 1, f"{prefix}: {matches}"
    return read_transcript(matches[0])


async def replay(fake: FakeAsterisk, records: list[Record]) -> None:
    """Play Asterisk's side of a transcript (after its env block) against our server.

    Each command our side sends must parse, by res_agi's rules, like the captured one.
    """
    for record in records:
        if record.direction == "agi->asterisk":
            line = await fake.read_command()
            sent = parse_args(line.rstrip(b"\r\n"))
            assert sent == parse_args(record.payload.rstrip(b"\r\n")), (line, record.payload)
        elif record.direction == "asterisk->agi":
            await fake.send(record.payload)
        elif record.direction.startswith(("note:agi-half-close", "note:agi-close")):
            assert await fake.read_command() == b"", "expected the server to close its side"
        elif record.direction.startswith("EOF"):
            await fake.close()

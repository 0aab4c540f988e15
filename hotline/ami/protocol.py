"""AMI wire format, pure: message framing, messages, action encoding.

Samples are from Asterisk 22.10.1 (../shared/asterisk-reference/ami). The server first
sends a banner line with no blank line after it::

    Asterisk Call Manager/11.0.0\\r\\n

then blocks of ``Key: value\\r\\n`` lines, each ended by an empty ``\\r\\n``::

    Response: Success\\r\\n
    ActionID: ping-1\\r\\n
    Ping: Pong\\r\\n
    Timestamp: 1795316021.272131\\r\\n
    \\r\\n
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from hotline.errors import HotlineError

BANNER_PREFIX = b"Asterisk Call Manager/"


class AmiError(HotlineError):
    """Anything hotline.ami raises on purpose."""


class AmiProtocolError(AmiError):
    """The peer sent something that is not AMI."""


class AmiInjectionError(AmiError, ValueError):
    """An action header would carry CR or LF: it would end the header (or the action)
    early and let the value inject headers or a whole second action."""


class AmiActionError(AmiError):
    """Asterisk answered ``Response: Error`` (or Failure); `message` is its Message."""

    def __init__(self, response: AmiMessage) -> None:
        self.response = response
        self.message = response.get("Message") or ""
        action_id = response.action_id or "-"
        super().__init__(f"AMI action {action_id} failed: {self.message}")


@dataclass(frozen=True)
class AmiMessage:
    """One response or event, its headers in arrival order (duplicates kept, as in the
    one-``Output:``-per-line reply to ``Command``)."""

    headers: tuple[tuple[str, str], ...]

    def get(self, key: str, default: str | None = None) -> str | None:
        """The first value of `key`, matched case-insensitively."""
        wanted = key.lower()
        for name, value in self.headers:
            if name.lower() == wanted:
                return value
        return default

    def get_all(self, key: str) -> list[str]:
        """Every value of `key`, in order (``Output:`` lines)."""
        wanted = key.lower()
        return [value for name, value in self.headers if name.lower() == wanted]

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.headers)

    @property
    def is_event(self) -> bool:
        return self.get("Event") is not None

    @property
    def is_response(self) -> bool:
        """A reply to an action. OriginateResponse carries `Response:` too, but it is an
        event (``Event: OriginateResponse`` / ``Response: Failure``, ami/07)."""
        return self.get("Response") is not None and not self.is_event

    @property
    def name(self) -> str:
        """The Event name, or the Response status (``Success``, ``Error``, ``Goodbye``)."""
        return self.get("Event") or self.get("Response") or ""

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")


@dataclass(frozen=True)
class Banner:
    """The greeting line, e.g. ``Asterisk Call Manager/11.0.0``."""

    text: str

    @property
    def version(self) -> str:
        return self.text.partition("/")[2]


class AmiParser:
    """Incremental framing: feed any chunks of bytes, get whole messages.

    Lines may end in CRLF or bare LF; a block ends with an empty line. Text is decoded
    per whole block, so a UTF-8 character split across two reads survives.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._banner_pending = True
        self.banner: Banner | None = None

    def feed(self, data: bytes) -> list[AmiMessage]:
        self._buffer += data
        messages: list[AmiMessage] = []
        if self._banner_pending and not self._take_banner():
            return messages
        while True:
            block = self._take_block()
            if block is None:
                return messages
            message = _parse_block(block)
            if message is not None:
                messages.append(message)

    def _take_banner(self) -> bool:
        """Consume the banner line if it is there. False: wait for more bytes."""
        if len(self._buffer) < len(BANNER_PREFIX) and BANNER_PREFIX.startswith(self._buffer):
            return False
        if not self._buffer.startswith(BANNER_PREFIX):
            self._banner_pending = False  # no banner: a proxy, or a resumed stream
            return True
        end = self._buffer.find(b"\n")
        if end < 0:
            return False
        line = bytes(self._buffer[:end]).rstrip(b"\r")
        del self._buffer[: end + 1]
        self.banner = Banner(line.decode("utf-8", errors="replace"))
        self._banner_pending = False
        return True

    def _take_block(self) -> bytes | None:
        """The next block up to its empty line, or None when it is not complete yet."""
        start = 0
        while True:
            end = self._buffer.find(b"\n", start)
            if end < 0:
                return None
            line = bytes(self._buffer[start:end])
            if line in (b"", b"\r"):
                block = bytes(self._buffer[:start])
                del self._buffer[: end + 1]
                if block:
                    return block
                start = 0  # a stray empty line between blocks
                continue
            start = end + 1


def _parse_block(block: bytes) -> AmiMessage | None:
    headers: list[tuple[str, str]] = []
    for raw in block.decode("utf-8", errors="replace").split("\n"):
        # Strip one CR only: a value may end in CR itself (ami/18: AGIExecStart of a
        # CRLF-terminated AGI command carries "Command: CHANNEL STATUS\r\r\n").
        line = raw[:-1] if raw.endswith("\r") else raw
        key, sep, value = line.partition(":")
        if not sep:
            continue  # not a header: Asterisk itself ignores such lines
        headers.append((key.strip(), value[1:] if value.startswith(" ") else value))
    return AmiMessage(tuple(headers)) if headers else None


def check_header(key: str, value: str) -> None:
    """Refuse a header that could inject: CR/LF anywhere, or a key with a colon."""
    for part, what in ((key, "name"), (value, "value")):
        if "\r" in part or "\n" in part:
            raise AmiInjectionError(f"AMI header {what} with a line break: {key!r}: {value!r}")
    if not key or ":" in key or key != key.strip():
        raise AmiInjectionError(f"bad AMI header name: {key!r}")


def encode_action(action: str, headers: Sequence[tuple[str, str]], action_id: str) -> bytes:
    """The bytes of one action, headers in the given order (``Variable`` may repeat).

    >>> encode_action("Ping", [], "ping-1")
    b'Action: Ping\\r\\nActionID: ping-1\\r\\n\\r\\n'
    """
    lines = [("Action", action), ("ActionID", action_id), *headers]
    out: list[str] = []
    for key, value in lines:
        check_header(key, value)
        out.append(f"{key}: {value}\r\n")
    out.append("\r\n")
    return "".join(out).encode("utf-8")

"""AMI wire format as Asterisk 22's manager.c reads and writes it: pure, no I/O.

The reading side copies manager.c's leniency, because clients (and our own tests) rely
on it: a line ends at `\\n` with an optional `\\r` before it, header names match
case-insensitively and must touch their colon, blanks after the colon are skipped, and
a header's *first* occurrence wins (`astman_get_header`). A blank line ends a request,
even an empty one. The writing side produces `Key: value\\r\\n` lines closed by `\\r\\n`.

    >>> reader = RequestReader()
    >>> [r.header("action") for r in reader.feed(b"action:   Ping\\nActionID: x\\n\\n")]
    ['Ping']
    >>> encode([("Response", "Success"), ("ActionID", "x"), ("Ping", "Pong")])
    b'Response: Success\\r\\nActionID: x\\r\\nPing: Pong\\r\\n\\r\\n'
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

Headers = list[tuple[str, str]]

BANNER = b"Asterisk Call Manager/11.0.0\r\n"

# manager.c: `char inbuf[1025]` (one byte kept for the NUL) and AST_MAX_MANHEADERS.
MAX_LINE_BYTES = 1024
MAX_HEADERS = 128

# Event classes (include/asterisk/manager.h). "all" is INT_MAX in manager.c's perms table.
EVENT_FLAGS = {
    "system": 1 << 0,
    "call": 1 << 1,
    "log": 1 << 2,
    "verbose": 1 << 3,
    "command": 1 << 4,
    "agent": 1 << 5,
    "user": 1 << 6,
    "config": 1 << 7,
    "dtmf": 1 << 8,
    "reporting": 1 << 9,
    "cdr": 1 << 10,
    "dialplan": 1 << 11,
    "originate": 1 << 12,
    "agi": 1 << 13,
    "cc": 1 << 15,
    "aoc": 1 << 16,
    "test": 1 << 17,
    "security": 1 << 18,
    "message": 1 << 19,
}
ALL_EVENTS = 0x7FFFFFFF
# A new session has every bit set (manager.c: `session->send_events = -1`).
DEFAULT_EVENT_MASK = -1

_TRUE = {"yes", "true", "y", "t", "1", "on"}
_FALSE = {"no", "false", "n", "f", "0", "off"}


@dataclass(frozen=True)
class Request:
    """One AMI request: its raw header lines, and what went wrong while reading it.

    `problem` is the error text manager.c answers instead of running the action.
    """

    lines: tuple[str, ...]
    problem: str | None = None

    def header(self, name: str, *, skip_empty: bool = False) -> str:
        """The first value of header `name` ('' when absent), like `astman_get_header`.

        >>> Request(("Action: ", "action: Ping")).header("Action", skip_empty=True)
        'Ping'
        """
        for value in self._values(name):
            if value or not skip_empty:
                return value
        return ""

    def all(self, name: str) -> list[str]:
        """Every value of header `name`, in order (for repeated `Variable:` lines)."""
        return list(self._values(name))

    def _values(self, name: str) -> list[str]:
        prefix = name.lower() + ":"
        size = len(prefix)
        return [line[size:].lstrip(" \t") for line in self.lines if line[:size].lower() == prefix]


@dataclass
class RequestReader:
    """Incremental request splitter with manager.c's limits (line length, header count)."""

    _buffer: bytearray = field(default_factory=bytearray)
    _lines: list[str] = field(default_factory=list)
    _too_many: bool = False
    _too_long: bool = False

    def feed(self, data: bytes) -> list[Request]:
        """Add bytes; return the requests completed by them."""
        self._buffer += data
        done: list[Request] = []
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                self._drop_overlong_line()
                return done
            raw = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            if len(raw) >= MAX_LINE_BYTES:
                # It would not have fitted manager.c's buffer: the line is lost.
                self._too_long = True
                continue
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            if raw:
                self._add_line(raw.decode("utf-8", "surrogateescape"))
            else:
                done.append(self._finish())

    def _add_line(self, line: str) -> None:
        if len(self._lines) < MAX_HEADERS:
            self._lines.append(line)
        else:
            self._too_many = True

    def _drop_overlong_line(self) -> None:
        # manager.c keeps the last byte in case it is the `\r` of a `\r\n`.
        if len(self._buffer) >= MAX_LINE_BYTES:
            del self._buffer[:-1]
            self._too_long = True

    def _finish(self) -> Request:
        problem = None
        if self._too_many:
            problem = "Too many lines in message or allocation failure"
        elif self._too_long:
            problem = "Failed to parse message: line too long"
        request = Request(tuple(self._lines), problem)
        self._lines, self._too_many, self._too_long = [], False, False
        return request


def encode(headers: Headers) -> bytes:
    """One AMI message: `Key: value` lines and the closing blank line."""
    text = "".join(f"{key}: {value}\r\n" for key, value in headers) + "\r\n"
    return text.encode("utf-8", "surrogateescape")


def encode_lines(lines: list[str]) -> bytes:
    """A message from preformatted lines (UserEvent copies the client's lines verbatim)."""
    return ("".join(f"{line}\r\n" for line in lines) + "\r\n").encode("utf-8", "surrogateescape")


def response(kind: str, action_id: str, *fields: tuple[str, str]) -> Headers:
    """`Response: kind`, then `ActionID` when the request had a non-empty one."""
    head = [("Response", kind)]
    if action_id:
        head.append(("ActionID", action_id))
    return [*head, *fields]


def split_stream(data: bytes) -> list[bytes]:
    """Split what an AMI server sent into the banner line and whole messages.

    >>> split_stream(BANNER + b"Response: Goodbye\\r\\n\\r\\n")
    [b'Asterisk Call Manager/11.0.0\\r\\n', b'Response: Goodbye\\r\\n\\r\\n']
    """
    parts: list[bytes] = []
    start = 0
    if data.startswith(b"Asterisk Call Manager/"):
        start = data.index(b"\r\n") + 2
        parts.append(data[:start])
    while start < len(data):
        end = data.find(b"\r\n\r\n", start)
        if end < 0:
            parts.append(data[start:])
            break
        parts.append(data[start : end + 4])
        start = end + 4
    return parts


def event_category(privilege: str) -> int:
    """The event class bits named by a `Privilege:` value (`call,all` -> call).

    >>> event_category("call,all") == EVENT_FLAGS["call"]
    True
    """
    bits = 0
    for label in privilege.split(","):
        bits |= EVENT_FLAGS.get(label.strip().lower(), 0)
    return bits


def event_mask(text: str) -> int | None:
    """manager.c's `strings_to_mask`: None when empty (no change), digits as a number,
    a false word 0, a true word every class, else the named classes.

    >>> event_mask("off"), event_mask("user") == EVENT_FLAGS["user"], event_mask("")
    (0, True, None)
    """
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if text.lower() in _FALSE:
        return 0
    if text.lower() in _TRUE:
        return ALL_EVENTS
    bits = 0
    for label in text.split(","):
        if label == "all":
            bits |= ALL_EVENTS
        else:
            bits |= EVENT_FLAGS.get(label, 0)
    return bits


def wants(mask: int, category: int) -> bool:
    """Whether a session with event mask `mask` receives an event of class `category`."""
    return mask & category == category


def parse_callerid(text: str) -> tuple[str, str]:
    """(name, number) from a CallerID header, like `ast_callerid_parse`.

    >>> parse_callerid('"Test Caller" <5551234>')
    ('Test Caller', '5551234')
    >>> parse_callerid("5551234"), parse_callerid("Operator")
    (('', '5551234'), ('Operator', ''))
    """
    text = text.strip()
    quoted = len(text) >= 2 and text[0] == '"' and text[-1] == '"'
    if quoted:
        text = text[1:-1]
    if "<" in text:
        left, _, right = text.rpartition("<")
        number = right.split(">")[0]
        return _strip_quotes(left.strip()), _shrink_number(number)
    shrunk = _shrink_number(text)
    if not quoted and shrunk and all(c in "0123456789#*+" for c in shrunk):
        return "", shrunk
    return _strip_quotes(text.strip()), ""


def _strip_quotes(text: str) -> str:
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    return text


def _shrink_number(number: str) -> str:
    """`ast_shrink_phone_number`: drop the punctuation people write in numbers."""
    return "".join(c for c in number if c not in " -().")


def parse_variables(values: list[str]) -> list[tuple[str, str]]:
    """`Variable:` headers (each `A=1` or `A=1,B=2`) as ordered (name, value) pairs.

    >>> parse_variables(["SIM_DELAY1=1", "A=x,B=y", "broken"])
    [('SIM_DELAY1', '1'), ('A', 'x'), ('B', 'y')]
    """
    pairs: list[tuple[str, str]] = []
    for value in values:
        for item in value.split(","):
            name, sep, content = item.partition("=")
            if sep and name:
                pairs.append((name, content))
    return pairs


def ping_timestamp(epoch_s: float) -> str:
    """`Timestamp:` of a Ping reply: seconds, a dot, six digits of microseconds."""
    micros = round(epoch_s * 1_000_000)
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def event_tv(epoch_s: float) -> str:
    """Security events' time stamps: `2026-11-22T02:53:36.941+0000` (UTC, milliseconds)."""
    millis = int(epoch_s * 1000)
    seconds, ms = divmod(millis, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{ms:03d}+0000"


def ip_address(host: str, port: int) -> str:
    """`IPV4/TCP/127.0.0.1/5038`, as security events name the two ends of a session."""
    family = "IPV6" if ":" in host else "IPV4"
    return f"{family}/TCP/{host}/{port}"


def status_item(snapshot: Headers, action_id: str) -> Headers:
    """A `Status` list item built from a CoreShowChannel body (Local channels only).

    The extra fields are what Asterisk 22 printed for a Local channel (ami/15); note the
    capitalised `Privilege: Call` and the ActionID at the end.
    """
    fields = dict(snapshot)
    channel_part = [(k, v) for k, v in snapshot if k not in _CSC_ONLY]
    duration = fields.get("Duration", "00:00:00")
    hours, minutes, seconds = (int(part) for part in duration.split(":"))
    item: Headers = [("Event", "Status"), ("Privilege", "Call"), *channel_part]
    item += [
        ("Type", fields.get("Channel", "").split("/")[0]),
        ("DNID", ""),
        ("EffectiveConnectedLineNum", fields.get("ConnectedLineNum", "")),
        ("EffectiveConnectedLineName", fields.get("ConnectedLineName", "")),
        ("TimeToHangup", "0"),
        ("BridgeID", fields.get("BridgeId", "")),
        ("Application", fields.get("Application", "")),
        ("Data", fields.get("ApplicationData", "")),
        ("Nativeformats", "(slin)"),
        ("Readformat", "slin"),
        ("Readtrans", ""),
        ("Writeformat", "slin"),
        ("Writetrans", ""),
        ("Callgroup", "0"),
        ("Pickupgroup", "0"),
        ("Seconds", str(hours * 3600 + minutes * 60 + seconds)),
    ]
    if action_id:
        item.append(("ActionID", action_id))
    return item


_CSC_ONLY = {"Application", "ApplicationData", "Duration", "BridgeId"}

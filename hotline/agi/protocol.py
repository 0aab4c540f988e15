"""FastAGI wire format, pure: response lines, argument quoting (the env block: `env`).

Everything here works on bytes or strings already read; no sockets. The samples in the
docstrings are lines captured from Asterisk 22.10.1 (../shared/asterisk-reference/agi).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from hotline.agi.env import AgiEnv, AgiEnvRefused, parse_env
from hotline.agi.errors import (
    AgiArgumentError,
    AgiCommandError,
    AgiError,
    AgiHangup,
    AgiProtocolError,
)

__all__ = [
    "HANGUP_LINE",
    "MAX_COMMAND_BYTES",
    "AgiArgumentError",
    "AgiCommandError",
    "AgiEnv",
    "AgiEnvRefused",
    "AgiError",
    "AgiHangup",
    "AgiProtocolError",
    "AgiResponse",
    "AgiResponseReader",
    "HangupNotice",
    "format_command",
    "parse_env",
    "parse_response",
    "quote",
]

# Asterisk sends this bare line when the channel hangs up or is redirected away (agi/03,
# agi/08a) and once more after we half-close. It is not the answer to any command.
HANGUP_LINE = "HANGUP"

# res_agi reads a command with fgets() into a 2048-byte buffer (AGI_BUF_LEN). A longer
# line is not rejected: its tail is read as the *next* command, which would let a long
# value smuggle a second command in. So we refuse lines that do not fit, '\n' included.
MAX_COMMAND_BYTES = 2047


@dataclass(frozen=True)
class AgiResponse:
    """One answer to one command.

    - ``200 result=1 (hello world)``: code 200, result "1", data "hello world"
    - ``200 result= (timeout)``: result "" (nothing pressed), data "timeout"
    - ``200 result=-1 endpos=0``: result "-1", endpos 0 (STREAM FILE of a missing file)
    - ``511 Command Not Permitted on a dead channel or intercept routine``: code 511
    - ``520-Invalid command syntax.  Proper usage follows:`` ... ``520 End of proper
      usage.``: code 520, the lines in between in `usage`
    """

    code: int
    result: str
    data: str | None
    endpos: int | None
    usage: tuple[str, ...] = ()
    line: str = ""

    @property
    def ok(self) -> bool:
        return self.code == 200

    @property
    def result_int(self) -> int | None:
        """`result` as an int, None when it is empty (``200 result= (timeout)``)."""
        try:
            return int(self.result)
        except ValueError:
            return None


@dataclass(frozen=True)
class HangupNotice:
    """The bare ``HANGUP`` line: the channel is dead from now on. Not a response."""


_RESULT = re.compile(
    r"200 result=(?P<result>\S*)"
    r"(?: \((?P<data>.*)\))?"
    r"(?: endpos=(?P<endpos>-?\d+))?"
    r"(?P<rest>.*)"
)
_STATUS = re.compile(r"(?P<code>\d{3})(?P<sep>[ -])(?P<text>.*)")


def parse_response(lines: Sequence[str]) -> AgiResponse:
    """Parse one complete response: a single line, or the lines of a ``520-`` block.

    >>> parse_response(["200 result=5 (timeout)"]).data
    'timeout'
    >>> parse_response(["200 result=57 endpos=18080"]).endpos
    18080
    """
    if not lines:
        raise AgiProtocolError("empty AGI response")
    first = lines[0]
    match = _STATUS.fullmatch(first)
    if match is None:
        raise AgiProtocolError(f"not an AGI response line: {first!r}")
    code = int(match.group("code"))
    if code == 200:
        result = _RESULT.fullmatch(first)
        if result is None:
            raise AgiProtocolError(f"200 without result=: {first!r}")
        endpos = result.group("endpos")
        return AgiResponse(
            code=200,
            result=result.group("result"),
            data=result.group("data"),
            endpos=None if endpos is None else int(endpos),
            line=first,
        )
    usage = tuple(lines[1:-1]) if match.group("sep") == "-" else ()
    return AgiResponse(code=code, result="", data=None, endpos=None, usage=usage, line=first)


class AgiResponseReader:
    """Turns the lines Asterisk sends into responses and hangup notices, one line at a time.

    A ``520-...`` line opens a usage block that ends with a ``520 `` line (agi/01)::

        520-Invalid command syntax.  Proper usage follows:
        Stream the given <replaceable>file</replaceable>, and receive DTMF data.
        520 End of proper usage.
    """

    def __init__(self) -> None:
        self._usage_block: list[str] | None = None

    def feed_line(self, line: str) -> AgiResponse | HangupNotice | None:
        """Feed one line (its ``\\n`` may be left on). None: more lines are needed."""
        line = line.rstrip("\r\n")
        if self._usage_block is not None:
            self._usage_block.append(line)
            if not line.startswith("520 "):
                return None
            block, self._usage_block = self._usage_block, None
            return parse_response(block)
        if line == HANGUP_LINE:
            return HangupNotice()
        if line.startswith("520-"):
            self._usage_block = [line]
            return None
        return parse_response([line])


# Characters that make res_agi's parse_args() do something other than copy the byte:
# space and tab split arguments, '"' toggles quoting, '\\' escapes the next byte.
_SPECIAL = frozenset(' \t"\\')
# Bytes that cannot be carried at all: LF ends the command line (what follows would be
# read as a second command), CR stays in the argument (agi/06: `GET VARIABLE CHANNEL\r`
# looked up a variable named "CHANNEL\r"), NUL ends a C string early. No escape exists for
# them in AGI, so they are replaced by a space: a caller-ID name from a trunk is untrusted
# data, and refusing it would end the caller's menu for a cosmetic problem.
_UNCARRIABLE = str.maketrans({"\r": " ", "\n": " ", "\0": " "})


def quote(value: str) -> str:
    r"""One AGI argument that res_agi's parser reads back as exactly `value`.

    Plain words go out bare, anything else in double quotes with ``"`` and ``\``
    backslash-escaped; CR, LF and NUL become spaces (see `_UNCARRIABLE`). Examples,
    value -> wire::

        hotline-welcome          -> hotline-welcome
        (empty)                  -> ""
        a "quoted" value         -> "a \"quoted\" value"
        Evil"<LF>HANGUP          -> "Evil\" HANGUP"

    This guards the AGI line only. What an application does with its own argument
    (EXEC Dial splits on commas) is the caller's business.
    """
    value = value.translate(_UNCARRIABLE)
    if value and not _SPECIAL.intersection(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def format_command(verb: str, *args: str) -> str:
    """The command line for `verb` (trusted, ours: ``STREAM FILE``) and quoted `args`.

    Raises AgiArgumentError when the line would not fit res_agi's read buffer.
    """
    if any(c in verb for c in "\r\n\0"):
        raise AgiArgumentError(f"AGI verb with a line break: {verb!r}")
    line = " ".join([verb, *(quote(a) for a in args)])
    if len(line.encode("utf-8", errors="replace")) + 1 > MAX_COMMAND_BYTES:
        raise AgiArgumentError(f"AGI command longer than {MAX_COMMAND_BYTES} bytes: {verb} ...")
    return line

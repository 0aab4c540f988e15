"""The `agi_*` environment block Asterisk sends first, parsed strictly (pure).

Asterisk 22 copies the caller ID name and number into this block unescaped: a caller whose
name holds a line feed can add lines of their own (`agi_network_script: operator`,
`agi_channel: Local/victim@...`) or end the block early and have the lines after it read
as Asterisk's replies. So a block is accepted only if it is exactly what res_agi sends:
every key of `setup_env` once, in its order, then `agi_arg_1`..`agi_arg_N`; FastAGI's two
`launch_netscript` lines come first. Anything else raises `AgiEnvRefused`, whose message
names what was wrong but never a value (a value may be the caller's number or name).

The script name and the channel come before `agi_callerid`, where the caller's text cannot
reach; `env_prefix` reads them by position, so that choosing a script does not depend on
the strict checks alone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from hotline.agi.errors import AgiProtocolError

__all__ = [
    "FASTAGI_KEYS",
    "SETUP_ENV_KEYS",
    "AgiEnv",
    "AgiEnvRefused",
    "EnvPrefix",
    "claimed_args",
    "env_prefix",
    "parse_env",
    "read_classic_env",
    "split_env_block",
]

#: launch_netscript writes these two first (the script only when AGI() named one; our
#: dialplan always does, and the server dispatches on it).
FASTAGI_KEYS = ("agi_network", "agi_network_script")
#: res_agi.c `setup_env`, in the order it sends them (Asterisk 22; the captures in
#: ../shared/asterisk-reference/agi show the same 21 + 2 lines). Then agi_arg_1..N.
SETUP_ENV_KEYS = (
    "agi_request",
    "agi_channel",
    "agi_language",
    "agi_type",
    "agi_uniqueid",
    "agi_version",
    "agi_callerid",
    "agi_calleridname",
    "agi_callingpres",
    "agi_callingani2",
    "agi_callington",
    "agi_callingtns",
    "agi_dnid",
    "agi_rdnis",
    "agi_context",
    "agi_extension",
    "agi_priority",
    "agi_enhanced",
    "agi_accountcode",
    "agi_threadid",
)
#: The first key a caller's text can follow: what precedes it is Asterisk's alone.
FIRST_CALLER_KEY = "agi_callerid"

_LINE = re.compile(r"(agi_[a-z0-9_]+): (.*)")
_ARG_KEY = re.compile(r"agi_arg_([1-9][0-9]*)")


class AgiEnvRefused(AgiProtocolError):  # noqa: N818 - a refusal, by who is at fault
    """The env block is not what Asterisk sends: forged lines, or not AGI at all.

    The message names the line number and the key, never a value."""


@dataclass(frozen=True)
class AgiEnv:
    """The `agi_*` block Asterisk sends first, e.g. (agi/01)::

    agi_network: yes
    agi_network_script: ivr
    agi_request: agi://127.0.0.1:4573/ivr
    agi_channel: Local/s@caller-sim-00000001;1
    agi_uniqueid: 1795316039.2
    agi_calleridname: Test Caller
    agi_accountcode:
    agi_arg_1: full
    """

    network_script: str
    request: str
    channel: str
    language: str
    type: str
    uniqueid: str
    version: str
    callerid: str
    calleridname: str
    context: str
    extension: str
    priority: str
    accountcode: str
    threadid: str
    args: tuple[str, ...]
    raw: Mapping[str, str] = field(repr=False, compare=False, hash=False)


@dataclass(frozen=True)
class EnvPrefix:
    """What a block says before its first caller-reachable key, read by position: the
    script, the request, the channel and its Uniqueid ("" where the block did not say
    it there). Trustworthy even in a refused block."""

    network_script: str = ""
    request: str = ""
    channel: str = ""
    uniqueid: str = ""


def split_env_block(data: bytes) -> tuple[bytes, bytes] | None:
    """`data` cut after the blank line that ends the block: (block, what followed), or
    None while no blank line has arrived. The block keeps its lines' endings.

    >>> split_env_block(b"agi_network: yes\\n\\nHANGUP\\n")
    (b'agi_network: yes\\n', b'HANGUP\\n')
    """
    start = 0
    while True:
        end = data.find(b"\n", start)
        if end < 0:
            return None
        if data[start:end] in (b"", b"\r"):
            return data[:start], data[end + 1 :]
        start = end + 1


def _lines(block: bytes) -> list[str]:
    text = block.decode("utf-8", errors="replace")
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()  # the blank line that ends the block, and the split's empty tail
    return lines


def _shown(key: str) -> str:
    """A key for a message: ours as is, a forged one with its digits masked (it may be
    part of a caller's number)."""
    if key in SETUP_ENV_KEYS or key in FASTAGI_KEYS or _ARG_KEY.fullmatch(key):
        return key
    return re.sub(r"[0-9]", "#", key[:24])


def env_prefix(block: bytes, *, fastagi: bool = True) -> EnvPrefix:
    """The keys before `agi_callerid`, each at its own position in res_agi's order; a
    line out of place ends the prefix. Never raises.

    >>> env_prefix(b"agi_network: yes\\nagi_network_script: ivr\\nagi_request: r\\n").network_script
    'ivr'
    """
    expected = list(FASTAGI_KEYS if fastagi else ()) + list(SETUP_ENV_KEYS)
    expected = expected[: expected.index(FIRST_CALLER_KEY)]
    values: dict[str, str] = {}
    for line, key in zip(_lines(block), expected, strict=False):
        match = _LINE.fullmatch(line)
        if match is None or match.group(1) != key:
            break
        values[key] = match.group(2)
    return EnvPrefix(
        network_script=values.get("agi_network_script", ""),
        request=values.get("agi_request", ""),
        channel=values.get("agi_channel", ""),
        uniqueid=values.get("agi_uniqueid", ""),
    )


def claimed_args(block: bytes) -> tuple[str, ...]:
    """The `agi_arg_N` values at the end of a (refused) block, as it claims them: a caller
    may have forged them, so only a hint (which hotline a refused call was for).

    >>> claimed_args(b"agi_threadid: 1\nagi_arg_1: 400-100\nagi_arg_2: c1\n")
    ('400-100', 'c1')
    """
    values: list[str] = []
    for line in reversed(_lines(block)):
        match = _LINE.fullmatch(line)
        if match is None or not _ARG_KEY.fullmatch(match.group(1)):
            break
        values.append(match.group(2))
    return tuple(reversed(values))


def _read_pairs(lines: list[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line:
            raise AgiEnvRefused(f"env line {number}: a blank line inside the block")
        match = _LINE.fullmatch(line)
        if match is None:
            raise AgiEnvRefused(f"env line {number}: not of the form 'agi_<name>: <value>'")
        key, value = match.group(1), match.group(2)
        if key in first_line:
            raise AgiEnvRefused(
                f"env line {number}: {_shown(key)} repeated (first at line {first_line[key]})"
            )
        first_line[key] = number
        pairs.append((key, value))
    return pairs


def _check_keys(keys: list[str], named: tuple[str, ...]) -> None:
    """Every key of `named` once, in order, then agi_arg_1..N; nothing else."""
    for number, key in enumerate(keys, start=1):
        if key not in named and not _ARG_KEY.fullmatch(key):
            raise AgiEnvRefused(f"env line {number}: unknown key {_shown(key)}")
    missing = [key for key in named if key not in keys]
    if missing:
        raise AgiEnvRefused(f"env block without {', '.join(missing)}")
    expected = list(named) + [f"agi_arg_{n}" for n in range(1, len(keys) - len(named) + 1)]
    for number, (key, wanted) in enumerate(zip(keys, expected, strict=True), start=1):
        if key != wanted:
            raise AgiEnvRefused(
                f"env line {number}: {_shown(key)} out of place (Asterisk sends {wanted})"
            )


def _check_script(raw: Mapping[str, str]) -> None:
    """agi_network: yes, and the script is the path of the request (launch_netscript
    takes it from the URL: agi://host[:port]/script)."""
    if raw["agi_network"] != "yes":
        raise AgiEnvRefused("env line 1: agi_network is not 'yes'")
    script = raw["agi_network_script"]
    path = raw["agi_request"].partition("://")[2].partition("/")[2]
    if not script or path != script:
        raise AgiEnvRefused("env: agi_network_script is not the script of agi_request")


def parse_env(block: bytes, *, fastagi: bool = True) -> AgiEnv:
    """Parse an env block (with or without its terminating blank line), strictly: raises
    `AgiEnvRefused` unless it is exactly what Asterisk sends (module docstring).

    `fastagi` False: a classic AGI block, which starts at `agi_request`. Bytes that are not
    UTF-8 (a caller-ID name from a trunk) are replaced, not fatal.

    >>> block = (b"agi_network: yes\\nagi_network_script: ivr\\nagi_request: agi://h/ivr\\n"
    ...     + b"".join(k.encode() + b": x\\n" for k in SETUP_ENV_KEYS[1:])
    ...     + b"agi_arg_1: 400-100\\n\\n")
    >>> env = parse_env(block)
    >>> env.network_script, env.args
    ('ivr', ('400-100',))
    """
    named = (FASTAGI_KEYS if fastagi else ()) + SETUP_ENV_KEYS
    pairs = _read_pairs(_lines(block))
    _check_keys([key for key, _ in pairs], named)
    raw = dict(pairs)
    if fastagi:
        _check_script(raw)
    args = tuple(value for key, value in pairs if key not in named)
    return AgiEnv(
        network_script=raw.get("agi_network_script", ""),
        request=raw["agi_request"],
        channel=raw["agi_channel"],
        language=raw["agi_language"],
        type=raw["agi_type"],
        uniqueid=raw["agi_uniqueid"],
        version=raw["agi_version"],
        callerid=raw["agi_callerid"],
        calleridname=raw["agi_calleridname"],
        context=raw["agi_context"],
        extension=raw["agi_extension"],
        priority=raw["agi_priority"],
        accountcode=raw["agi_accountcode"],
        threadid=raw["agi_threadid"],
        args=args,
        raw=MappingProxyType(raw),
    )


def read_classic_env(fd: int, *, max_bytes: int = 16 * 1024) -> AgiEnv:
    """Read and parse the env block of a classic AGI script from `fd` (its stdin), with
    raw reads that stop at the block's end: pyst2 reads the rest through `sys.stdin`.

    A pipe write of one line arrives whole, so what a caller ID put after its own blank
    line is in the read that ends the block: bytes there are refused, as the FastAGI
    server refuses them. EOF or more than `max_bytes` before the blank line: refused."""
    data = b""
    while (split := split_env_block(data)) is None:
        chunk = os.read(fd, 65536)
        if not chunk:
            raise AgiEnvRefused(f"stdin closed after {len(data)} bytes, inside the env block")
        data += chunk
        if len(data) > max_bytes:
            raise AgiEnvRefused(f"env block over {max_bytes} bytes")
    block, after = split
    if after:
        raise AgiEnvRefused(f"{len(after)} bytes after the env block before any command")
    return parse_env(block, fastagi=False)

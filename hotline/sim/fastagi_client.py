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

from hotline.sim.agi_host import AgiHost
from hotline.sim.agi_session import AgiSession
from hotline.sim.channel import SimChannel

log = logging.getLogger("hotline.sim.agi")

AGI_VERSION = "22.10.1"
MAX_AGI_CONNECT_S = 2.0  # res_agi.c compile-time constant (simulated seconds)
MIN_REAL_CONNECT_S = 0.5  # a fast clock must not turn a loopback connect into a timeout


def thread_id(host: AgiHost) -> int:
    """A pthread id as `agi_threadid` shows it."""
    return host.rng.randrange(139_900_000_000_000, 140_000_000_000_000)


def env_block(
    channel: SimChannel, request: str, script: str | None, args: list[str], thread_id: int
) -> bytes:
    """The `agi_*` lines in Asterisk's order, LF endings, ending in a blank line.

    `script`: the FastAGI script name (`agi_network_script`); None for classic AGI, whose
    block starts at `agi_request` (res_agi's setup_env; launch_netscript writes the two
    `agi_network` lines first).

    Values go out unescaped, as res_agi's `ast_agi_send` writes them: a caller ID with a
    line feed adds lines to the block, exactly as on Asterisk 22 (the hijacks of issue 9
    bug 6, which tests/controller/test_refused_env.py replays). Do not escape them here."""
    lines: list[tuple[str, str]] = []
    if script is not None:
        lines += [("agi_network", "yes"), ("agi_network_script", script)]
    lines += [
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
    transport = _FastAgiTransport(writer)
    session = AgiSession(host, channel, reader, writer, transport)
    try:
        status = await session.run(env_block(channel, url, script, args, thread_id(host)))
    finally:
        await transport.close()
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


class _FastAgiTransport:
    """The socket side of a FastAGI session: `HANGUP\\n` tells the server the channel
    died, and again when it half-closes (then Asterisk closes the socket)."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer

    async def _write(self, data: bytes) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            self.writer.write(data)
            await self.writer.drain()

    async def notify_dead(self) -> None:
        await self._write(b"HANGUP\n")

    async def finish(self) -> bool:
        await self._write(b"HANGUP\n")
        await self.close()
        return True

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()

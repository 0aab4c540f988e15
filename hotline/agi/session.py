"""One FastAGI session: typed commands over a stream pair, one command at a time.

Asterisk does not pipeline: a second command written before the first is answered is
read only later, and the first may be abandoned (agi/06). So every command holds a lock
from its write until its answer has been read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from hotline.agi.errors import AgiCommandError, AgiHangup, AgiProtocolError
from hotline.agi.protocol import (
    AgiEnv,
    AgiResponse,
    AgiResponseReader,
    HangupNotice,
    format_command,
)
from hotline.clock import Clock

log = logging.getLogger(__name__)

# A caller hangup or a Redirect during a command answers `200 result=-1` and then, about
# 40 ms later, a bare HANGUP line (agi/03, agi/08a). After a -1 we wait this long (real
# seconds: a socket read) for that line, to tell a hangup from a plain failure.
DEFAULT_HANGUP_GRACE_S = 0.5


@dataclass(frozen=True)
class StreamResult:
    """STREAM FILE: the escape digit pressed (or None), where playback stopped, and
    whether the file could not be played (``200 result=-1 endpos=0``: missing file)."""

    digit: str | None
    endpos: int
    missing: bool


@dataclass(frozen=True)
class GetDataResult:
    """GET DATA: the digits entered (without the `#` that ends them) and whether the
    input ended by timeout (``200 result=5 (timeout)``) rather than by `#` or max digits."""

    digits: str
    timed_out: bool


class AgiSession:
    """Typed AGI commands for one call. Every argument goes through `quote`.

    Once the channel is dead (a HANGUP line or a 511), channel commands raise AgiHangup
    without being sent; `get_variable`, `get_full_variable`, `set_variable` and `verbose`
    still go out, as res_agi allows them on a dead channel (agi/03, agi/08a). A peer that
    disappears raises AgiHangup from every command.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        env: AgiEnv,
        clock: Clock,
        *,
        hangup_grace_s: float = DEFAULT_HANGUP_GRACE_S,
    ) -> None:
        self.env = env
        self.clock = clock
        self._reader = reader
        self._writer = writer
        self._lines = AgiResponseReader()
        self._lock = asyncio.Lock()
        self._hangup_grace_s = hangup_grace_s
        self._dead = False
        self._gone = False

    @property
    def dead(self) -> bool:
        """True once the channel hung up or was redirected away (or the peer left)."""
        return self._dead or self._gone

    # -- the commands -------------------------------------------------------------

    async def answer(self) -> None:
        response = await self._channel_command("ANSWER")
        self._expect_success(response, "ANSWER")

    async def stream_file(self, name: str, escape_digits: str = "") -> StreamResult:
        """Play `name`; ``200 result=57 endpos=18080`` means `9` interrupted it."""
        response = await self._channel_command("STREAM FILE", name, escape_digits)
        code = response.result_int
        endpos = response.endpos or 0
        if code == -1:
            log.warning("%s: cannot play %r", self.env.channel, name)
            return StreamResult(digit=None, endpos=endpos, missing=True)
        return StreamResult(digit=_digit(code), endpos=endpos, missing=False)

    async def get_data(self, file: str, timeout_ms: int, max_digits: int) -> GetDataResult:
        """Play `file` and collect up to `max_digits` (``200 result= (timeout)``: none)."""
        response = await self._channel_command(
            "GET DATA", file, str(int(timeout_ms)), str(int(max_digits))
        )
        if response.result == "-1":
            raise AgiCommandError(f"GET DATA {file}", 200, "failed")
        return GetDataResult(digits=response.result, timed_out=response.data == "timeout")

    async def wait_for_digit(self, timeout_ms: int) -> str | None:
        """One DTMF digit, or None after `timeout_ms` (``200 result=55`` is `7`)."""
        response = await self._channel_command("WAIT FOR DIGIT", str(int(timeout_ms)))
        code = response.result_int
        if code is None or code < 0:
            raise AgiCommandError("WAIT FOR DIGIT", 200, f"result={response.result}")
        return _digit(code)

    async def set_variable(self, name: str, value: str) -> None:
        response = await self._command("SET VARIABLE", name, value)
        self._expect_success(response, f"SET VARIABLE {name}")

    async def get_variable(self, name: str) -> str | None:
        """The value (``200 result=1 (123)``) or None when unset (``200 result=0``)."""
        response = await self._command("GET VARIABLE", name)
        if response.result != "1":
            return None
        return response.data or ""

    async def get_full_variable(self, expr: str) -> str:
        """Evaluate an expression, e.g. ``${CONTEXT},${EXTEN},${PRIORITY}`` (unset: "")."""
        response = await self._command("GET FULL VARIABLE", expr)
        if response.result != "1":
            return ""
        return response.data or ""

    async def exec(self, app: str, *args: str) -> int:
        """Run a dialplan application; its arguments are joined with commas into the
        one options argument res_agi passes on. ``200 result=-2``: no such application."""
        words = [app, ",".join(args)] if args else [app]
        response = await self._channel_command("EXEC", *words)
        code = response.result_int
        if code == -2:
            raise AgiCommandError(f"EXEC {app}", 200, "no such application")
        return 0 if code is None else code

    async def verbose(self, msg: str, level: int = 1) -> None:
        await self._command("VERBOSE", msg, str(int(level)))

    async def hangup(self) -> None:
        await self._channel_command("HANGUP")
        self._dead = True

    # -- the exchange -------------------------------------------------------------

    async def _channel_command(self, verb: str, *args: str) -> AgiResponse:
        """A command res_agi refuses on a dead channel: fail fast instead of sending."""
        if self.dead:
            raise AgiHangup(f"{verb}: the channel {self.env.channel} is gone")
        return await self._command(verb, *args)

    async def _command(self, verb: str, *args: str) -> AgiResponse:
        line = format_command(verb, *args)
        async with self._lock:
            if self._gone:
                raise AgiHangup(f"{verb}: Asterisk closed the session")
            await self._send(line)
            response = await self._next_response()
            if response.result == "-1" and await self._hangup_follows():
                raise AgiHangup(f"{verb}: the channel {self.env.channel} hung up")
        if response.code == 511:
            self._dead = True
            raise AgiHangup(f"{verb}: {response.line}")
        if response.code != 200:
            raise AgiCommandError(line, response.code, response.line)
        return response

    async def _send(self, line: str) -> None:
        try:
            # errors="replace": a lone surrogate must not crash a menu, and cannot be sent
            self._writer.write(line.encode("utf-8", errors="replace") + b"\n")
            await self._writer.drain()
        except ConnectionError as exc:
            self._gone = True
            raise AgiHangup(f"{line}: connection lost: {exc}") from exc

    async def _next_response(self) -> AgiResponse:
        while True:
            item = await self._read_item()
            if isinstance(item, HangupNotice):
                self._dead = True
                continue
            return item

    async def _hangup_follows(self) -> bool:
        """After a -1, did a HANGUP line follow within the grace period?"""
        if self._dead:
            return True
        try:
            item = await asyncio.wait_for(self._read_item(), self._hangup_grace_s)
        except TimeoutError:
            return False
        if isinstance(item, HangupNotice):
            self._dead = True
            return True
        raise AgiProtocolError(f"a response with no command pending: {item.line!r}")

    async def _read_item(self) -> AgiResponse | HangupNotice:
        while True:
            try:
                raw = await self._reader.readline()
            except ConnectionError as exc:
                self._gone = True
                raise AgiHangup(f"connection lost: {exc}") from exc
            except ValueError as exc:  # a line over the stream limit
                raise AgiProtocolError(f"AGI line too long: {exc}") from exc
            if not raw.endswith(b"\n"):
                self._gone = True
                raise AgiHangup("Asterisk closed the session")
            item = self._lines.feed_line(raw.decode("utf-8", errors="replace"))
            if item is not None:
                return item

    @staticmethod
    def _expect_success(response: AgiResponse, what: str) -> None:
        if response.result == "-1":
            raise AgiCommandError(what, response.code, response.line)

    # -- the end ------------------------------------------------------------------

    async def finish(self, drain_timeout_s: float) -> None:
        """Half-close, read until Asterisk's final HANGUP and EOF (bounded), close.

        Asterisk answers our FIN with ``HANGUP`` and closes (agi/01); a Redirect of this
        channel takes effect only now, so this must not linger.
        """
        with contextlib.suppress(OSError, RuntimeError):
            if self._writer.can_write_eof() and not self._writer.is_closing():
                self._writer.write_eof()
        try:
            async with asyncio.timeout(drain_timeout_s):
                while await self._reader.read(4096):
                    pass
        except TimeoutError:
            channel = self.env.channel
            log.warning("%s: Asterisk did not close within %.1f s", channel, drain_timeout_s)
        except ConnectionError:
            pass
        finally:
            self._gone = True
            self._writer.close()
            with contextlib.suppress(ConnectionError):
                await self._writer.wait_closed()


def _digit(code: int | None) -> str | None:
    """AGI reports a DTMF digit as its ASCII code; 0 means none."""
    if not code:
        return None
    return chr(code)

"""What each FastAGI command does to the channel, and the reply line it earns.

Reply formats are those of ../shared/asterisk-reference/README.md ("AGI replies"):
`endpos` counts 8 kHz samples, GET DATA says `(timeout)`, WAIT FOR DIGIT answers the
digit's ASCII code, and any command waiting when the channel dies answers `result=-1`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hotline.sim.agi_host import AgiHost
from hotline.sim.channel import ChannelInterruptedError, SimChannel
from hotline.sim.events import varset

SAMPLES_PER_S = 8000
GET_DATA_DEFAULT_TIMEOUT_S = 5.0  # the pbx's digit timeout when GET DATA gives none
GET_DATA_DEFAULT_MAX_DIGITS = 1024


@dataclass(frozen=True)
class Reply:
    """The first reply line, AGIExecEnd's ResultCode/Result, and 520's further lines."""

    first: str
    code: str
    text: str
    more: list[str] = field(default_factory=list)


def ok(result: str) -> Reply:
    return Reply(f"200 result={result}", "200", "Success")


FAILURE_TEXT = "Failure"


class AgiCommands:
    """The command implementations for one session's channel."""

    def __init__(self, host: AgiHost, channel: SimChannel) -> None:
        self.host = host
        self.channel = channel

    async def run(self, name: str, args: list[str]) -> Reply:
        if name == "ANSWER":
            self.host.answer(self.channel)
            return ok("0")
        if name == "CHANNEL STATUS":
            return ok(str(self.channel.state))
        if name == "STREAM FILE":
            return await self.stream_file(args[0], args[1])
        if name == "GET DATA":
            return await self.get_data(args)
        if name == "WAIT FOR DIGIT":
            return await self.wait_for_digit(args[0])
        if name == "SET VARIABLE":
            self.host.set_channel_var(self.channel, args[0], args[1])
            return ok("1")
        if name == "GET VARIABLE":
            value = self.host.channel_var(self.channel, args[0])
            return ok("0") if value is None else ok(f"1 ({value})")
        if name == "GET FULL VARIABLE":
            return ok(f"1 ({self.host.expand(self.channel, args[0])})")
        if name == "EXEC":
            return await self.exec(args[0], args[1] if len(args) > 1 else "")
        if name == "HANGUP":
            self.host.hang_up(self.channel, 16, "system")
            return ok("1")
        if name == "VERBOSE":
            return ok("1")
        if name == "SET MUSIC":
            if args[0].lower() == "on":
                self.host.start_moh(self.channel, args[1] if len(args) > 1 else "default")
            else:
                self.host.stop_moh(self.channel)
            return ok("0")
        return ok("0")  # NOOP, and SAY DIGITS (no digit sound files, as in agi/04)

    async def stream_file(self, name: str, escape_digits: str) -> Reply:
        host, channel = self.host, self.channel
        duration_s = host.sounds.duration_s(name)
        if duration_s is None:
            return Reply("200 result=-1 endpos=0", "-1", FAILURE_TEXT)
        host.stop_moh(channel)  # any file stream removes the channel's generator
        started = host.clock.now()
        try:
            digit = await self._play(duration_s, escape_digits, name)
        except ChannelInterruptedError:
            endpos = int((host.clock.now() - started) * SAMPLES_PER_S)
            return Reply(f"200 result=-1 endpos={endpos}", "-1", FAILURE_TEXT)
        if digit is None:
            host.emit(varset(channel, "PLAYBACKSTATUS", "SUCCESS"))
            return ok(f"0 endpos={int(duration_s * SAMPLES_PER_S)}")
        host.emit(varset(channel, "PLAYBACKSTATUS", "FAILED"))
        endpos = int((host.clock.now() - started) * SAMPLES_PER_S)
        return ok(f"{ord(digit)} endpos={endpos}")

    async def _play(self, duration_s: float, escape_digits: str, name: str = "") -> str | None:
        """Play for `duration_s`; an escape digit stops it early and is returned."""
        host, channel = self.host, self.channel
        if not escape_digits:
            await channel.pause(host.clock, duration_s)
            return None
        end = host.clock.now() + duration_s
        channel.start_reading()
        host.input_started(channel, end, name)
        try:
            while True:
                digit = await channel.wait_digit(host.clock, end - host.clock.now())
                if digit is None or digit in escape_digits:
                    return digit
        finally:
            channel.stop_reading()

    async def get_data(self, args: list[str]) -> Reply:
        host, channel = self.host, self.channel
        timeout_s = int(args[1]) / 1000 if len(args) > 1 and args[1].lstrip("-").isdigit() else 0
        if timeout_s <= 0:
            timeout_s = GET_DATA_DEFAULT_TIMEOUT_S
        max_digits = GET_DATA_DEFAULT_MAX_DIGITS
        if len(args) > 2 and args[2].isdigit() and int(args[2]) > 0:
            max_digits = int(args[2])
        prompt_s = host.sounds.duration_s(args[0]) or 0.0
        host.stop_moh(channel)
        digits = ""
        channel.start_reading()
        host.input_started(channel, host.clock.now() + prompt_s, args[0])
        try:
            # digits during the prompt cut it short; the timeout starts after the prompt
            digit = await channel.wait_digit(host.clock, prompt_s) if prompt_s > 0 else None
            while True:
                if digit is None:
                    digit = await channel.wait_digit(host.clock, timeout_s)
                    if digit is None:
                        return ok(f"{digits} (timeout)")
                if digit == "#":
                    return ok(digits)
                digits += digit
                if len(digits) >= max_digits:
                    return ok(digits)
                digit = None
        except ChannelInterruptedError:
            return Reply("200 result=-1", "-1", FAILURE_TEXT)
        finally:
            channel.stop_reading()

    async def wait_for_digit(self, timeout_ms: str) -> Reply:
        host, channel = self.host, self.channel
        try:
            timeout = int(timeout_ms)
        except ValueError:
            timeout = 0
        channel.start_reading()
        host.input_started(channel, host.clock.now())
        try:
            digit = await channel.wait_digit(host.clock, None if timeout < 0 else timeout / 1000)
        except ChannelInterruptedError:
            return Reply("200 result=-1", "-1", FAILURE_TEXT)
        finally:
            channel.stop_reading()
        return ok("0" if digit is None else str(ord(digit)))

    async def exec(self, app: str, data: str) -> Reply:
        host, channel = self.host, self.channel
        name = app.lower()
        if name == "playback":
            duration_s = host.sounds.duration_s(data)
            host.stop_moh(channel)
            if duration_s is not None:
                try:
                    await channel.pause(host.clock, duration_s)
                except ChannelInterruptedError:
                    return Reply("200 result=-1", "-1", FAILURE_TEXT)
            status = "FAILED" if duration_s is None else "SUCCESS"
            host.emit(varset(channel, "PLAYBACKSTATUS", status))
            return ok("0")
        if name == "set":
            variable, _, value = data.partition("=")
            host.set_channel_var(channel, variable.strip(), value)
            return ok("0")
        if name == "startmusiconhold":
            host.start_moh(channel, data or "default")
            return ok("0")
        if name == "stopmusiconhold":
            host.stop_moh(channel)
            return ok("0")
        if name == "answer":
            host.answer(channel)
            return ok("0")
        if name == "noop":
            return ok("0")
        return Reply("200 result=-2", "200", "Unknown Result")

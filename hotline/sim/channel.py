"""A simulated channel: its snapshot fields, variables, and the ways it can be interrupted.

Asterisk interrupts a channel's current application in two ways that matter here: a
hangup (remote, AMI or dialplan) and an AMI Redirect. Both set `interrupted`; every
waiting application wakes up, and the dialplan runner then either hangs the channel up
or moves it to the Redirect target. A FastAGI session is the exception: there the
interrupt only makes the session "dead" and the move waits for the server to close.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from hotline.clock import Clock

STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up"}
STATE_DOWN, STATE_RING, STATE_RINGING, STATE_UP = 0, 4, 5, 6

Party = Literal["caller", "operator", "system"]


class ChannelInterruptedError(Exception):
    """The channel was hung up or redirected while an application waited."""


@dataclass
class SimChannel:
    """One Asterisk channel as AMI snapshots show it, plus the simulator's own state."""

    name: str
    uniqueid: str
    linkedid: str
    created_at: float
    context: str
    exten: str
    priority: int = 1
    state: int = STATE_DOWN
    cid_num: str = ""
    cid_name: str = ""
    connected_num: str = ""
    connected_name: str = ""
    language: str = "en"
    accountcode: str = ""
    dnid: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    # SHARED(name) of func_global.c: a namespace of its own that other channels may set
    shared: dict[str, str] = field(default_factory=dict)
    application: str = ""
    app_data: str = ""
    bridge_id: str = ""
    moh_class: str | None = None
    # set by hangup/redirect requests; the runner acts on them
    hangup_cause: int | None = None
    hung_up_by: Party | None = None
    redirect_to: tuple[str, str, str] | None = None
    runs_dialplan: bool = False
    alive: bool = True
    interrupted: asyncio.Event = field(default_factory=asyncio.Event)
    # DTMF reaches only an application that is reading (res_agi drops it otherwise)
    reading: bool = False
    _digits: deque[str] = field(default_factory=deque)
    _digit_arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def tech(self) -> str:
        return self.name.split("/", 1)[0]

    def request_hangup(self, cause: int, by: Party) -> None:
        """Ask the channel to hang up; the first request decides cause and party."""
        if self.hangup_cause is None:
            self.hangup_cause = cause
            self.hung_up_by = by
        self.interrupted.set()

    def request_redirect(self, context: str, exten: str, priority: str) -> None:
        self.redirect_to = (context, exten, priority)
        self.interrupted.set()

    def push_digit(self, digit: str) -> None:
        """A DTMF digit ended on this channel (DTMFEnd): queue it if someone reads."""
        if self.reading:
            self._digits.append(digit)
            self._digit_arrived.set()

    def start_reading(self) -> None:
        self.reading = True
        self._digits.clear()

    def stop_reading(self) -> None:
        self.reading = False

    async def wait_digit(self, clock: Clock, timeout_s: float | None) -> str | None:
        """The next digit, or None after `timeout_s` (None: forever).

        Raises ChannelInterruptedError on hangup or redirect.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout_s is None else clock.now() + timeout_s
        while True:
            if self.interrupted.is_set():
                raise ChannelInterruptedError
            if self._digits:
                return self._digits.popleft()
            remaining = None if deadline is None else deadline - clock.now()
            if remaining is not None and remaining <= 0:
                return None
            self._digit_arrived.clear()
            waiters = [
                loop.create_task(self._digit_arrived.wait()),
                loop.create_task(self.interrupted.wait()),
            ]
            await _wait_first(clock, waiters, remaining)

    async def pause(self, clock: Clock, seconds: float | None) -> None:
        """Wait `seconds` (None: forever); raises ChannelInterruptedError if interrupted."""
        if await wait_interrupt(clock, seconds, self) is not None:
            raise ChannelInterruptedError


async def _wait_first(
    clock: Clock, waiters: Sequence[asyncio.Task[Any]], timeout_s: float | None
) -> None:
    try:
        if timeout_s is None:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        else:
            await clock.wait_for(
                asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED), timeout_s
            )
    except TimeoutError:
        pass
    finally:
        for waiter in waiters:
            waiter.cancel()


async def wait_interrupt(
    clock: Clock, timeout_s: float | None, *channels: SimChannel
) -> SimChannel | None:
    """Wait until one of `channels` is interrupted (returned) or `timeout_s` passes (None)."""
    for channel in channels:
        if channel.interrupted.is_set():
            return channel
    if timeout_s is not None and timeout_s <= 0:
        return None
    loop = asyncio.get_running_loop()
    waiters = [loop.create_task(channel.interrupted.wait()) for channel in channels]
    await _wait_first(clock, waiters, timeout_s)
    for channel in channels:
        if channel.interrupted.is_set():
            return channel
    return None

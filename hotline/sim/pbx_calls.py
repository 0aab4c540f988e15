"""The calls placed from the trunk: the caller's DTMF and patience, and the summary.

The caller presses its next digits `think_s` after an input read's prompt ends, with the
timing of SendDTMF(digits,250,150): DTMFBegin, 150 ms, DTMFEnd (the digit reaches the
reader now), 250 ms gap. It hangs up once its total time on hold exceeds `patience_s`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hotline.sim.channel import Party, SimChannel
from hotline.sim.events import CALL, DTMF, cause_text, channel_event
from hotline.sim.people import (
    DTMF_DURATION_S,
    DTMF_GAP_S,
    CallerScript,
    CallSummary,
    SimCall,
    SimCaller,
)

if TYPE_CHECKING:
    from hotline.sim.pbx import SimPBX


HANGUP_IN_MENU_S = 0.3


async def press_digits(pbx: SimPBX, channel: SimChannel, digits: str, at: float) -> None:
    """Press `digits` on `channel` from time `at`, with SendDTMF's timing."""
    clock = pbx.clock
    await clock.sleep(at - clock.now())
    for index, digit in enumerate(digits):
        if index:
            await clock.sleep(DTMF_GAP_S)
        if not channel.alive:
            return
        pbx.emit(
            channel_event("DTMFBegin", DTMF, channel, ("Digit", digit), ("Direction", "Received"))
        )
        await clock.sleep(DTMF_DURATION_S)
        if not channel.alive:
            return
        pbx.emit(
            channel_event(
                "DTMFEnd",
                DTMF,
                channel,
                ("Digit", digit),
                ("DurationMs", str(int(DTMF_DURATION_S * 1000))),
                ("Direction", "Received"),
            )
        )
        channel.push_digit(digit)


@dataclass
class _TrackedCall:
    call: SimCall
    script: CallerScript
    arrived_at: float
    answered_at: float | None = None
    operator: str | None = None
    operator_hung_up: bool = False
    patience: asyncio.Task[None] | None = field(default=None)


class CallTracker:
    def __init__(self, pbx: SimPBX) -> None:
        self._pbx = pbx
        self._calls: dict[str, _TrackedCall] = {}

    def track(self, channel: SimChannel, caller: SimCaller) -> SimCall:
        ended: asyncio.Future[CallSummary] = asyncio.get_running_loop().create_future()
        call = SimCall(channel.name, channel.uniqueid, ended)
        self._calls[channel.name] = _TrackedCall(call, CallerScript(caller), self._pbx.clock.now())
        return call

    def input_started(self, channel: SimChannel, prompt_end_at: float, prompt: str = "") -> None:
        tracked = self._calls.get(channel.name)
        if tracked is None:
            return
        if tracked.script.hangs_up_now():
            self._pbx.spawn(self._hang_up_in_menu(channel))
            return
        digits = tracked.script.answer_to(prompt) or tracked.script.next_entry()
        if digits:
            tracked.script.pressing = True
            self._pbx.spawn(self._press(channel, tracked.script, digits, prompt_end_at))

    async def _press(
        self, channel: SimChannel, script: CallerScript, digits: str, prompt_end_at: float
    ) -> None:
        try:
            at = prompt_end_at + script.caller.think_s
            await press_digits(self._pbx, channel, digits, at)
        finally:
            script.pressing = False

    async def _hang_up_in_menu(self, channel: SimChannel) -> None:
        # A moment into the prompt, as a caller who has heard enough.
        await self._pbx.clock.sleep(HANGUP_IN_MENU_S)
        if channel.alive and channel.hangup_cause is None:
            self._pbx.emit(channel_event("HangupRequest", CALL, channel, ("Cause", "16")))
            channel.request_hangup(16, "caller")

    def hold_started(self, channel: SimChannel) -> None:
        tracked = self._calls.get(channel.name)
        if tracked is None or tracked.script.hold_since is not None:
            return
        tracked.script.hold_since = self._pbx.clock.now()
        tracked.patience = self._pbx.spawn(self._lose_patience(channel, tracked.script))

    def hold_stopped(self, channel: SimChannel) -> None:
        tracked = self._calls.get(channel.name)
        if tracked is None or tracked.script.hold_since is None:
            return
        tracked.script.hold_total_s += self._pbx.clock.now() - tracked.script.hold_since
        tracked.script.hold_since = None
        if tracked.patience is not None:
            tracked.patience.cancel()
            tracked.patience = None

    async def _lose_patience(self, channel: SimChannel, script: CallerScript) -> None:
        await self._pbx.clock.sleep(script.patience_left_s())
        if channel.alive and channel.hangup_cause is None:
            self._pbx.emit(channel_event("HangupRequest", CALL, channel, ("Cause", "16")))
            channel.request_hangup(16, "caller")

    def answered(self, caller: SimChannel, operator_dial: str) -> None:
        tracked = self._calls.get(caller.name)
        if tracked is not None:
            tracked.answered_at = self._pbx.clock.now()
            tracked.operator = operator_dial

    def operator_hung_up(self, caller: SimChannel) -> None:
        tracked = self._calls.get(caller.name)
        if tracked is not None:
            tracked.operator_hung_up = True

    def channel_ended(self, channel: SimChannel, cause: int) -> None:
        tracked = self._calls.pop(channel.name, None)
        if tracked is None:
            return
        if tracked.patience is not None:
            tracked.patience.cancel()
        by: Party = channel.hung_up_by or "system"
        if by == "system" and tracked.operator_hung_up:
            by = "operator"  # the dialplan's Hangup() after Dial(...,g) follows the operator
        summary = CallSummary(
            hung_up_by=by,
            cause=cause,
            cause_txt=cause_text(cause),
            arrived_at=tracked.arrived_at,
            answered_at=tracked.answered_at,
            ended_at=self._pbx.clock.now(),
            operator=tracked.operator,
        )
        if not tracked.call.ended.done():
            tracked.call.ended.set_result(summary)

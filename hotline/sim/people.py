"""The simulated people: callers on the trunk and operators on softphones.

A caller answers each input read of the IVR with the next entry of its script and gives
up after `patience_s` on hold; an operator rings, answers, talks and hangs up.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from hotline.sim.channel import Party

DTMF_DURATION_S = 0.150  # SendDTMF(digits,250,150) as in the reference captures
DTMF_GAP_S = 0.250


@dataclass(frozen=True)
class SimCaller:
    """`digits`: one entry per input read ("" presses nothing); `think_s` after the
    prompt ends; hangs up when the total time on hold exceeds `patience_s`, or during the
    prompt of input read number `hangup_at` (0-based; None: never in the menu)."""

    digits: list[str]
    think_s: float
    patience_s: float
    hangup_at: int | None = None
    # Keys pressed whenever a prompt whose file name ends with the key is read (e.g.
    # {"overflow-callback-offer": "1"}: accepts every call-back offer); these reads do not
    # use up `digits`.
    on_prompt: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SimOperator:
    """A softphone: rings `ring_s` (None: never answers), then talks `talk_s()` seconds.

    Asked to confirm after answering (Dial's U() subroutine reads DTMF on the operator's
    channel, as [hotline-confirm] does for a remote operator), it presses `confirm_digits`
    `confirm_think_s` after the first prompt that reads input ends ("": presses nothing,
    as a voicemail). `confirm_hangup_s`: it hangs up this long after answering while the
    subroutine still runs (a voicemail that stops recording); None: never.
    `busy`: the line is busy: a Dial to it ends at once with DialStatus BUSY and the leg
    hangs up with cause 17 (User busy); an Originate fails with reason 5."""

    ring_s: float | None
    talk_s: Callable[[], float]
    confirm_digits: str = "1"
    confirm_think_s: float = 0.5
    confirm_hangup_s: float | None = None
    busy: bool = False


@dataclass(frozen=True)
class CallSummary:
    """How a call ended. `hung_up_by` is the party whose hangup ended it."""

    hung_up_by: Party
    cause: int
    cause_txt: str
    arrived_at: float
    answered_at: float | None
    ended_at: float
    operator: str | None


@dataclass
class SimCall:
    """A call placed with SimPBX.place_call; `await call.ended` gives its CallSummary."""

    channel: str
    uniqueid: str
    ended: asyncio.Future[CallSummary]


class CallerScript:
    """Which digits the caller presses next, and how long it has been on hold."""

    def __init__(self, caller: SimCaller) -> None:
        self.caller = caller
        self._entries = deque(caller.digits)
        self.reads = 0  # input reads started so far
        self.pressing = False
        self.hold_total_s = 0.0
        self.hold_since: float | None = None

    def next_entry(self) -> str | None:
        """The digits to press for a new input read, or None (busy pressing, or done)."""
        self.reads += 1
        if self.pressing or not self._entries:
            return None
        return self._entries.popleft()

    def answer_to(self, prompt: str) -> str | None:
        """The caller's fixed answer to `prompt` (see `SimCaller.on_prompt`), if any."""
        if self.pressing:
            return None
        for ending, keys in self.caller.on_prompt.items():
            if prompt.endswith(ending):
                return keys
        return None

    def hangs_up_now(self) -> bool:
        """Whether the caller hangs up at the input read starting now."""
        return self.caller.hangup_at is not None and self.reads == self.caller.hangup_at

    def patience_left_s(self) -> float:
        return self.caller.patience_s - self.hold_total_s

"""Placing the call-backs: the operator first, then the caller's number.

A call-back request waits in the ACD as an entry of kind `callback` at the place of the call
that asked (`hotline.queue.callbacks`). When `assign` hands one to a free operator (who is
reserved by it, so the call-backs in flight never outnumber the free operators), the
dispatcher passes the `Assignment` here:

1. AMI Originate of the operator's dial string into [hotline-callback] (extensions.conf) with
   HOTLINE_ID, HOTLINE_CALL_ID (the entry id), HOTLINE_CALLBACK_DIAL (the caller's number as
   a dial string, `callbacks.dial`), HOTLINE_LANG and HOTLINE_RING_S. Its ChannelId is
   `<entry id>-<attempt>`: the operator's channel has that Uniqueid, so its DialEnd and
   Hangup are matched to the attempt (no caller channel exists for it in the tracker).
2. The operator answers and hears "a call-back, the caller speaks ..."; the dialplan then
   Dials the caller from the operator's channel.

Outcomes, each written as one `callback_attempts` row:

- the Originate fails (the operator did not answer, was busy or unreachable), or the
  operator's channel hangs up before the caller answered (they hung up during the prompt
  or while the caller's phone rang, DialEnd CANCEL): `ring_no_answer`, a miss for the
  operator, the entry keeps its place (`operator_no_answer`);
- DialEnd ANSWER on the operator's channel: `callback_answered`; its Hangup ends the talk:
  `complete` with the hotline's wrap-up (`answered`, with the talk time);
- DialEnd BUSY, NOANSWER, CONGESTION, CHANUNAVAIL (anything else): `callback_no_answer`,
  the operator is free at once and the entry waits again at its place, not offered before
  `callbacks.retry_after_s`, or ends `callback_failed` after `callbacks.max_attempts`
  (`caller_busy`, `caller_no_answer`, `failed`).

Never two calls to one number for one request: an attempt is placed once (the in-flight
guard by entry, and by ChannelId for the process's lifetime), a repeated DialEnd or Hangup
is dropped by the dispatcher and changes nothing here once the attempt is over, and an
Originate whose answer was lost is never re-sent: its channel's events, or a look at the
channel list, end it. At every resync (start, AMI reconnect) the call-backs the ACD has
offered or talking that this process did not place (a restart's) are taken over: their
operator channel's Uniqueid follows from the entry's counts, as when it was placed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from hotline.ami.client import AmiClient, AmiTimeoutError, OriginateResult
from hotline.ami.protocol import AmiActionError, AmiError, AmiMessage
from hotline.clock import Clock
from hotline.config import HotlineConfig
from hotline.controller.confirm import confirm_required
from hotline.queue import Acd, Assignment
from hotline.queue.callbacks import ENTRY_PREFIX, asking_call_id
from hotline.records import AttemptResult, CallbackAttempt
from hotline.tasks import stop_task

log = logging.getLogger(__name__)

CALLBACK_CONTEXT = "hotline-callback"
AttemptSink = Callable[[CallbackAttempt], Awaitable[object]]

# The caller's leg ended with this DialStatus: what the attempt records.
_CALLER_RESULTS = {
    "BUSY": AttemptResult.CALLER_BUSY,
    "NOANSWER": AttemptResult.CALLER_NO_ANSWER,
}


@dataclass
class _Attempt:
    hotline_id: str
    entry_id: str
    number: int
    operator_id: str
    phone: str
    channel_id: str
    started_at: float
    #: operator (ringing the operator) -> caller (the operator answered) -> talking -> over
    stage: str = "operator"
    answered_at: float | None = None
    #: The Originate has not been answered yet (its OriginateResponse or an error ends it).
    originating: bool = True


class CallbackDialer:
    """Places call-back assignments over AMI and follows their channels."""

    def __init__(
        self,
        hotlines: Mapping[str, HotlineConfig],
        acds: Mapping[str, Acd],
        ami: AmiClient,
        clock: Clock,
        sink: AttemptSink,
        wake: Callable[[], None],
        owner: str | None = None,
    ) -> None:
        """`sink` stores an attempt (it must not raise); `wake` asks the dispatcher to look
        for matches (an operator or an entry is free again). `owner`: this controller's id;
        the call-backs it places are its own, and it takes over another controller's only
        once that controller's lease has run out (`Acd.claim`), as for calls."""
        self._owner = owner
        self._hotlines = hotlines
        self._acds = acds
        self._ami = ami
        self._clock = clock
        self._sink = sink
        self._wake = wake
        self._by_entry: dict[tuple[str, str], _Attempt] = {}
        self._by_channel: dict[str, _Attempt] = {}
        self._placed: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._originating: set[asyncio.Task[None]] = set()
        #: Originates sent, for tests and logs.
        self.originates = 0

    async def originated(self) -> None:
        """Return once every Originate sent has been answered and handled (tests)."""
        while self._originating:
            await asyncio.gather(*self._originating, return_exceptions=True)

    def in_flight(self) -> int:
        """Attempts placed and not over."""
        return len(self._by_entry)

    async def place(self, hotline_id: str, a: Assignment) -> bool:
        """Ring the operator of call-back assignment `a`; False if it was not placed (an
        attempt of that entry is in flight, or the number cannot be dialled)."""
        hotline = self._hotlines[hotline_id]
        acd = self._acds[hotline_id]
        key = (hotline_id, a.call_id)
        if self._owner is not None:
            # Ours from now on: another controller's resync leaves it to us while we live.
            await acd.claim(a.call_id, self._owner)
        stored = await acd.call(a.call_id) or {}
        number = int(stored.get("attempts") or 0) + int(stored.get("misses") or 0) + 1
        now = self._clock.now()
        attempt = _Attempt(
            hotline_id, a.call_id, number, a.operator_id, a.number, f"{a.call_id}-{number}", now
        )
        # No await from these checks to the registration below: one place() wins.
        if key in self._by_entry or attempt.channel_id in self._placed:
            log.warning("call-back %s: attempt %d is placed already", a.call_id, number)
            return False
        try:
            dial = hotline.callbacks.dial_string(a.number)
        except ValueError as exc:
            log.error("call-back %s: %s; given up", a.call_id, exc)
            state = await acd.callback_no_answer(a.call_id, a.operator_id, now, 0.0, 1)
            await self._record(attempt, AttemptResult.FAILED, state)
            self._wake()
            return False
        self._placed.add(attempt.channel_id)
        self._by_entry[key] = attempt
        self._by_channel[attempt.channel_id] = attempt
        language = stored.get("language", "")
        task = asyncio.create_task(self._originate(attempt, hotline, dial, language))
        self._originating.add(task)
        task.add_done_callback(self._originating.discard)
        log.info("call-back %s: attempt %d, operator %s", a.call_id, number, a.operator_id)
        return True

    async def _originate(
        self, attempt: _Attempt, hotline: HotlineConfig, dial: str, language: str
    ) -> None:
        operator = hotline.operator(attempt.operator_id)
        variables = {
            "HOTLINE_ID": hotline.id,
            "HOTLINE_CALL_ID": attempt.entry_id,
            "HOTLINE_CALLBACK_DIAL": dial,
            "HOTLINE_LANG": language,
            "HOTLINE_RING_S": str(hotline.ring_timeout_s),
            # A mobile's voicemail must not take a call-back either: a remote operator
            # presses 1 before the caller is dialled (FastAGI `callback-confirm`).
            "HOTLINE_CONFIRM": "1" if confirm_required(hotline, operator) else "0",
        }
        self.originates += 1
        try:
            result = await self._originate_once(attempt, hotline, operator.dial, variables)
        finally:
            attempt.originating = False
        await self._originated(attempt, result)

    async def _originate_once(
        self,
        attempt: _Attempt,
        hotline: HotlineConfig,
        operator_dial: str,
        variables: Mapping[str, str],
    ) -> OriginateResult | AmiError | None:
        """Send the Originate once: its result, the AMI error, or None after a bug."""
        try:
            return await self._ami.originate(
                operator_dial,
                CALLBACK_CONTEXT,
                "s",
                1,
                variables,
                caller_id=f'"call-back" <{hotline.number}>',
                timeout_ms=hotline.ring_timeout_s * 1000,
                channel_id=attempt.channel_id,
            )
        except AmiError as exc:
            return exc
        except Exception:
            log.exception("call-back %s: Originate failed", attempt.entry_id)
            return None

    async def _originated(
        self, attempt: _Attempt, result: OriginateResult | AmiError | None
    ) -> None:
        if isinstance(result, AmiActionError):
            # Refused outright: nothing rang.
            log.warning("call-back %s: Originate refused: %s", attempt.entry_id, result)
            await self._operator_missed(attempt)
        elif isinstance(result, AmiTimeoutError):
            # It may be ringing still: its channel's events end it, else the channel list.
            log.warning("call-back %s: no OriginateResponse in time", attempt.entry_id)
            await self._check_channel()
        elif isinstance(result, AmiError):
            # The connection went: the resync after the reconnect looks at the channel.
            log.warning("call-back %s: Originate unanswered: %s", attempt.entry_id, result)
        elif result is None:
            await self._check_channel()
        elif not result.success:
            log.info(
                "call-back %s: operator %s did not answer (reason %s)",
                attempt.entry_id,
                attempt.operator_id,
                result.reason,
            )
            await self._operator_missed(attempt)
        elif attempt.stage == "operator":
            attempt.stage = "caller"

    async def follow(self, message: AmiMessage) -> bool:
        """Handle a DialEnd or Hangup if it is of a call-back's operator channel; False if
        it is not (the dispatcher's calls then have it). Run in the dispatcher's event
        order, so a DialEnd ANSWER comes before the Hangup that ends the talk."""
        attempt = self._by_channel.get(message.get("Uniqueid") or "")
        if attempt is None:
            return False
        if message.name.lower() == "dialend":
            await self._dial_ended(attempt, message.get("DialStatus") or "")
        elif message.name.lower() == "hangup":
            self._by_channel.pop(attempt.channel_id, None)
            await self._hung_up(attempt)
        return True

    async def _dial_ended(self, attempt: _Attempt, status: str) -> None:
        if attempt.stage not in ("operator", "caller"):
            return
        if status == "ANSWER":
            attempt.stage = "talking"
            attempt.answered_at = self._clock.now()
            acd = self._acds[attempt.hotline_id]
            await acd.callback_answered(attempt.entry_id, attempt.operator_id, attempt.answered_at)
            log.info("call-back %s: the caller answered", attempt.entry_id)
            return
        if status == "CANCEL":
            # The operator hung up while the caller's phone rang.
            await self._operator_missed(attempt)
            return
        await self._caller_missed(attempt, _CALLER_RESULTS.get(status, AttemptResult.FAILED))

    async def _hung_up(self, attempt: _Attempt) -> None:
        if attempt.stage == "talking":
            attempt.stage = "over"
            self._by_entry.pop((attempt.hotline_id, attempt.entry_id), None)
            now = self._clock.now()
            routing = self._hotlines[attempt.hotline_id].routing
            state = await self._acds[attempt.hotline_id].complete(
                attempt.entry_id,
                now,
                wrap_up_s=routing.wrap_up_s,
                disposition_required=routing.disposition_required,
            )
            await self._record(attempt, AttemptResult.ANSWERED, state)
            self._wake()
        elif attempt.stage in ("operator", "caller"):
            # Gone before the caller answered: the operator hung up (or never answered: the
            # channel of a failed Originate hangs up before its OriginateResponse).
            await self._operator_missed(attempt)

    async def _operator_missed(self, attempt: _Attempt) -> None:
        if not self._end(attempt):
            return
        routing = self._hotlines[attempt.hotline_id].routing
        state = await self._acds[attempt.hotline_id].ring_no_answer(
            attempt.entry_id,
            attempt.operator_id,
            self._clock.now(),
            auto_pause_after=routing.auto_pause_after,
        )
        await self._record(attempt, AttemptResult.OPERATOR_NO_ANSWER, state)
        self._wake()

    async def _caller_missed(self, attempt: _Attempt, result: AttemptResult) -> None:
        if not self._end(attempt):
            return
        settings = self._hotlines[attempt.hotline_id].callbacks
        state = await self._acds[attempt.hotline_id].callback_no_answer(
            attempt.entry_id,
            attempt.operator_id,
            self._clock.now(),
            settings.retry_after_s,
            settings.max_attempts,
        )
        log.info("call-back %s: %s; the request is %s", attempt.entry_id, result, state)
        await self._record(attempt, result, state)
        self._wake()
        if state == "waiting":
            self._wake_later(settings.retry_after_s)

    def _end(self, attempt: _Attempt) -> bool:
        """Mark the attempt over (before any await, so two events cannot both end it)."""
        if attempt.stage in ("talking", "over"):
            return False
        attempt.stage = "over"
        self._by_entry.pop((attempt.hotline_id, attempt.entry_id), None)
        # Its channel's later events (the Hangup after a BUSY) change nothing now.
        self._by_channel.pop(attempt.channel_id, None)
        return True

    def _wake_later(self, after_s: float) -> None:
        async def later() -> None:
            await self._clock.sleep(after_s + 0.01)
            self._wake()

        task = asyncio.create_task(later())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _check_channel(self) -> None:
        """An Originate without an answer: if its channel is not up, nothing is ringing."""
        try:
            channels = await self._ami.core_show_channels()
        except AmiError as exc:
            log.warning("call-backs: channel list unavailable: %s", exc)
            return
        await self.resync({m.get("Uniqueid") or "": m for m in channels})

    async def resync(self, live: Mapping[str, AmiMessage]) -> None:
        """The channels Asterisk has now (at a resync): an attempt whose operator channel is
        gone is over, as if its Hangup had come now. One whose Originate is still
        unanswered is left to that answer (its channel may not exist yet). First the
        call-backs an earlier controller was placing are taken over (`_adopt`)."""
        for hotline_id in self._acds:
            await self._adopt(hotline_id, live)
        for attempt in list(self._by_entry.values()):
            if attempt.channel_id in live or attempt.originating:
                continue
            self._by_channel.pop(attempt.channel_id, None)
            await self._hung_up(attempt)

    async def orphans_exist(self) -> bool:
        """Whether a call-back is being placed that no live controller follows (its owner
        died): it is claimed for this controller, and the next `resync` takes it over."""
        if self._owner is None:
            return False
        for hotline_id, acd in self._acds.items():
            for op_id, op_state in (await acd.operator_states()).items():
                if op_state not in ("ringing", "on_call"):
                    continue
                entry_id = (await acd.operator(op_id) or {}).get("call_id", "")
                followed = (hotline_id, entry_id) in self._by_entry
                if not entry_id.startswith(ENTRY_PREFIX) or followed:
                    continue
                if await acd.claim(entry_id, self._owner):
                    return True
        return False

    async def _adopt(self, hotline_id: str, live: Mapping[str, AmiMessage]) -> None:
        """Follow the call-backs the ACD has offered or talking that this controller did
        not place (an earlier controller's, before a restart). The attempt number, and so
        the operator channel's Uniqueid, follows from the entry's counts as when it was
        placed; the resync then ends those whose channel is gone."""
        acd = self._acds[hotline_id]
        for op_id, op_state in (await acd.operator_states()).items():
            if op_state not in ("ringing", "on_call"):
                continue
            entry_id = (await acd.operator(op_id) or {}).get("call_id", "")
            if not entry_id.startswith(ENTRY_PREFIX) or (hotline_id, entry_id) in self._by_entry:
                continue
            stored = await acd.call(entry_id) or {}
            state = stored.get("state")
            if stored.get("kind") != "callback" or state not in ("offered", "talking"):
                continue
            if self._owner is not None and not await acd.claim(entry_id, self._owner):
                continue  # placed by a controller that is alive: it follows it
            number = int(stored.get("attempts") or 0) + int(stored.get("misses") or 0) + 1
            started = float(stored.get("offered_at_s") or self._clock.now())
            attempt = _Attempt(
                hotline_id,
                entry_id,
                number,
                op_id,
                stored.get("number", ""),
                f"{entry_id}-{number}",
                started,
                stage="talking" if state == "talking" else "caller",
                originating=False,
            )
            if state == "talking":
                attempt.answered_at = float(stored.get("answered_at_s") or started)
            elif (channel := live.get(attempt.channel_id)) is not None and channel.get("BridgeId"):
                # The caller answered while nobody followed (its owner had died): the
                # operator's channel is bridged. Answered now, as far as we can tell.
                now = self._clock.now()
                await acd.callback_answered(entry_id, op_id, now)
                attempt.stage, attempt.answered_at = "talking", now
            self._by_entry[(hotline_id, entry_id)] = attempt
            self._by_channel[attempt.channel_id] = attempt
            log.info("call-back %s: attempt %d taken over (%s)", entry_id, number, state)

    async def _record(self, attempt: _Attempt, result: AttemptResult, state: str | None) -> None:
        ended = self._clock.now()
        talk_s = 0.0
        if attempt.answered_at is not None and result is AttemptResult.ANSWERED:
            talk_s = max(0.0, ended - attempt.answered_at)
        try:
            await self._sink(
                CallbackAttempt(
                    call_id=asking_call_id(attempt.entry_id),
                    hotline_id=attempt.hotline_id,
                    attempt=attempt.number,
                    operator_id=attempt.operator_id,
                    number=attempt.phone,
                    started_at=_utc(attempt.started_at),
                    ended_at=_utc(ended),
                    result=result,
                    talk_s=round(talk_s, 3),
                    entry_state=state,
                )
            )
        except Exception:
            log.exception("call-back %s: attempt %d not recorded", attempt.entry_id, attempt.number)

    async def stop(self) -> None:
        for task in [*self._originating, *self._tasks]:
            await stop_task(task)


def _utc(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)

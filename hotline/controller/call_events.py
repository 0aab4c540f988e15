"""Following the calls the dispatcher handed out, by their AMI events.

A `DialEnd` of the caller's channel ends an offer (ANSWER starts the talk; anything else,
and for a remote operator anything but a 1 pressed in `hotline.controller.confirm`, is a
ring-no-answer), a `Hangup` ends the call and writes its record. The events of one call are
handled one at a time in the order they came (a DialEnd ANSWER before the Hangup that ends
the talk), through one queue and one task, under `lock`, which the take-over
(`hotline.controller.takeover`) holds for a whole resync too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from hotline.ami.client import AmiClient
from hotline.ami.protocol import AmiMessage
from hotline.clock import Clock
from hotline.config import HotlineConfig
from hotline.config.schema import DEFAULT_REOFFER_AFTER_S
from hotline.controller.adoption import RecentEvents, UnfollowedEvents
from hotline.controller.callback_dialer import CallbackDialer
from hotline.controller.confirm import confirm_required
from hotline.controller.tracker import CallTracker, TrackedCall
from hotline.queue import Acd
from hotline.records import Outcome
from hotline.tasks import stop_task

log = logging.getLogger("hotline.controller.dispatcher")

# Dial statuses that mean the operator was reached and talked.
_ANSWERED = "ANSWER"


class CallEvents:
    """The DialEnd and Hangup events of the calls in progress, and the remote operators'
    confirmations (`hotline.controller.confirm.ConfirmDesk`)."""

    def __init__(
        self,
        hotlines: Mapping[str, HotlineConfig],
        acds: Mapping[str, Acd],
        tracker: CallTracker,
        clock: Clock,
        callbacks: CallbackDialer,
        wake: Callable[[], None],
    ) -> None:
        self._hotlines = hotlines
        self._acds = acds
        self._tracker = tracker
        self._clock = clock
        self._callbacks = callbacks
        self._wake = wake
        self._events: asyncio.Queue[AmiMessage] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._recent = RecentEvents()
        #: Events of calls another controller owns, for when this one takes them over.
        self.unfollowed = UnfollowedEvents()
        #: Held while one AMI event is handled, and by a resync for its whole run: an event
        #: that arrives during a resync is handled after it.
        self.lock = asyncio.Lock()
        #: Calls offered to an operator who must press 1 to take them (a remote operator's
        #: mobile, whose voicemail may answer; `hotline.controller.confirm`): call id ->
        #: operator id, until the FastAGI `confirm` script reports or the Dial ends. For
        #: these a DialEnd ANSWER alone is not an answer.
        self.confirming: dict[str, str] = {}

    def start(self, ami: AmiClient) -> None:
        ami.on_event("DialEnd", self._events.put_nowait)
        ami.on_event("Hangup", self._events.put_nowait)
        self._task = asyncio.create_task(self._follow_calls(), name="call-events")

    async def stop(self) -> None:
        await stop_task(self._task)
        self._task = None

    async def _follow_calls(self) -> None:
        """Handle the AMI events of the calls in progress, one at a time, in order."""
        handlers: dict[str, Callable[[AmiMessage], Awaitable[None]]] = {
            "dialend": self.on_dial_end,
            "hangup": self._on_hangup,
        }
        while True:
            message = await self._events.get()
            if self._recent.repeated(message):
                log.debug("ignoring a repeated %s of %s", message.name, message.get("Uniqueid"))
                continue
            try:
                async with self.lock:
                    if not await self._callbacks.follow(message):
                        await handlers[message.name.lower()](message)
            except Exception:
                # One bad event (or Redis hiccup) must not stop the following of all calls.
                log.exception("handling %s failed", message.name)

    async def on_dial_end(self, message: AmiMessage, at: float | None = None) -> None:
        """`at`: when the event came, if earlier than now (replayed by an adoption)."""
        call = self._tracker.by_uniqueid(message.get("Uniqueid") or "")
        if call is None:
            self.unfollowed.note(message, self._clock.now())
            return
        if call.answered_at is not None:
            return
        if call.operator_id is None and await self.learn_operator(call) is None:
            return
        assert call.operator_id is not None
        acd = self._acds[call.hotline_id]
        status = message.get("DialStatus") or ""
        now = self._clock.now() if at is None else at
        if status == _ANSWERED and call.call_id not in self.confirming:
            call.answered_at = now
            await acd.answered(call.call_id, call.operator_id, call.answered_at)
            return
        # Not answered: the caller goes back to hold (the dialplan) at the original place.
        # So too an operator who had to press 1 and never did (the confirm script would
        # have answered the call already): not taken (CONTINUE), or no report at all (the
        # operator hung up during the prompt, the controller was unreachable).
        self.confirming.pop(call.call_id, None)
        log.info("call %s: operator %s did not answer (%s)", call.call_id, call.operator_id, status)
        hotline = self._hotlines[call.hotline_id]
        await acd.ring_no_answer(
            call.call_id,
            call.operator_id,
            now,
            auto_pause_after=hotline.routing.auto_pause_after,
            reoffer_after_s=_reoffer_after_s(hotline, call.queue_id),
        )
        call.operator_id = None
        self._wake()

    async def learn_operator(self, call: TrackedCall, *, confirm: bool = True) -> str | None:
        """The operator a call of ours is offered to, from the ACD: another controller's
        dispatcher may have made the offer (they share the ACD), and then only Redis knows
        it. Kept on the call; with `confirm`, a remote operator must press 1 here too.
        None if the call is not offered (or talking) now."""
        stored = await self._acds[call.hotline_id].call(call.call_id)
        if stored is None or stored.get("state") not in ("offered", "talking"):
            return None
        operator_id = stored.get("operator_id") or None
        if operator_id is None:
            return None
        call.operator_id = operator_id
        hotline = self._hotlines[call.hotline_id]
        if (
            confirm
            and stored.get("state") == "offered"
            and hotline.has_operator(operator_id)
            and confirm_required(hotline, hotline.operator(operator_id))
        ):
            self.confirming.setdefault(call.call_id, operator_id)
        return operator_id

    def awaiting_confirmation(self, call_id: str) -> str | None:
        """The operator who must press 1 to take the call now, or None."""
        return self.confirming.get(call_id)

    async def operator_took(self, call_id: str, operator_id: str) -> bool:
        """The FastAGI `confirm` script: `operator_id` pressed 1. The call is answered now
        (in the ACD too). False if it no longer waits for that operator (the caller hung
        up, the Dial ended): the operator must not be connected."""
        async with self.lock:
            call = self._tracker.by_call_id(call_id)
            if call is not None and call.operator_id is None:
                await self.learn_operator(call)  # offered by another controller
            if (
                call is None
                or self.confirming.get(call_id) != operator_id
                or call.operator_id != operator_id
                or call.answered_at is not None
            ):
                return False
            answered_at = self._clock.now()
            await self._acds[call.hotline_id].answered(call_id, operator_id, answered_at)
            del self.confirming[call_id]
            call.answered_at = answered_at
            return True

    async def operator_declined(self, call_id: str, operator_id: str) -> None:
        """The FastAGI `confirm` script: `operator_id` answered but did not take the call
        (no key, another key, hung up). Nothing changes yet: the Dial ends next (its
        DialEnd says CONTINUE, or ANSWER with a dialplan older than this one, when the
        operator hung up during the prompt) and that DialEnd makes the ring-no-answer, as
        for a ring nobody answered. So the call is offered again only once the caller is
        out of the Dial, and a late DialEnd of this operator's leg can never be taken for
        the next operator's."""
        if self.confirming.get(call_id) == operator_id:
            log.info("call %s: operator %s did not take the call", call_id, operator_id)

    async def _on_hangup(self, message: AmiMessage) -> None:
        call = self._tracker.by_uniqueid(message.get("Uniqueid") or "")
        if call is None:
            self.unfollowed.note(message, self._clock.now())
            return
        await self.end_call(call)

    async def end_call(self, call: TrackedCall, ended_at: float | None = None) -> None:
        """The caller's channel is gone: free what it held and write its record.

        `ended_at`: when it went, if earlier than now (see `CallTakeover.resync`)."""
        now = self._clock.now() if ended_at is None else ended_at
        acd = self._acds[call.hotline_id]
        self.confirming.pop(call.call_id, None)
        if call.answered_at is not None:
            # The operator wraps up (hotline's routing.wrap_up_s) before the next call.
            routing = self._hotlines[call.hotline_id].routing
            await acd.complete(
                call.call_id,
                now,
                wrap_up_s=routing.wrap_up_s,
                disposition_required=routing.disposition_required,
            )
            await self._tracker.finish(call, Outcome.ANSWERED, now)
            self._wake()
            return
        if call.enqueued_at is not None:
            if call.operator_id is None:
                # Offered by another controller's dispatcher: its operator is in Redis.
                await self.learn_operator(call, confirm=False)
            await acd.cancel(call.call_id, now)
            if call.operator_id is not None:
                # Hung up while the operator's phone rang: free the operator (after the
                # cancel, so the call cannot be offered again in between).
                await acd.ring_no_answer(call.call_id, call.operator_id, now)
                self._wake()
            await self._tracker.finish(call, Outcome.ABANDONED, now)
            return
        # Never reached a queue and the menu did not end it: the menu failed and the
        # fallback took the call, or the FastAGI session never started properly.
        await self._tracker.finish(call, Outcome.FAILED, now)


def _reoffer_after_s(hotline: HotlineConfig, queue_id: str | None) -> float:
    """How long an operator who did not answer a caller of `queue_id` is not offered that
    caller again (the queue's `reoffer_same_operator_after_s`; the default if the queue is
    unknown, e.g. gone in a reload)."""
    for queue in hotline.queues:
        if queue.id == queue_id:
            return float(queue.reoffer_same_operator_after_s)
    return float(DEFAULT_REOFFER_AFTER_S)

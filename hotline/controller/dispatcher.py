"""The dispatcher: hands waiting callers to free operators, and follows the calls it handed.

Matching happens in Redis (one Lua script, atomic); this module only carries the decision to
Asterisk: Setvar of the operator's dial string on the caller's channel, then a Redirect of the
caller out of the hold music into `hotline-connect`. It wakes when a call is enqueued or an
operator becomes free, and on a periodic tick as a safety net.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from hotline.ami.client import AmiClient
from hotline.ami.protocol import AmiError, AmiMessage
from hotline.clock import Clock
from hotline.config import HotlineConfig
from hotline.controller.tracker import CallTracker, TrackedCall
from hotline.queue import Acd, Assignment
from hotline.records import Outcome
from hotline.tasks import stop_task

log = logging.getLogger(__name__)

# Dial statuses that mean the operator was reached and talked.
_ANSWERED = "ANSWER"


class Dispatcher:
    """Assigns calls to operators for a set of hotlines over one AMI connection."""

    def __init__(
        self,
        hotlines: Mapping[str, HotlineConfig],
        acds: Mapping[str, Acd],
        ami: AmiClient,
        tracker: CallTracker,
        clock: Clock,
        tick_s: float = 5.0,
    ) -> None:
        self._hotlines = hotlines
        self._acds = acds
        self._ami = ami
        self._tracker = tracker
        self._clock = clock
        self._tick_s = tick_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # AMI events of one call must be handled in the order they came (DialEnd ANSWER
        # before the Hangup that ends the talk), so they go through one queue and one task.
        self._events: asyncio.Queue[AmiMessage] = asyncio.Queue()
        self._events_task: asyncio.Task[None] | None = None
        # Set by an AMI reconnect; cleared only once a resync has succeeded, so a resync
        # that fails (AMI still flapping) is tried again on the next tick.
        self._resync_due = False

    def wake(self) -> None:
        """Something changed (a call waits, an operator is free): look for matches now."""
        self._wake.set()

    def start(self) -> None:
        self._ami.on_event("DialEnd", self._events.put_nowait)
        self._ami.on_event("Hangup", self._events.put_nowait)
        self._ami.on_reconnect(self._resync_soon)
        self._task = asyncio.create_task(self._run(), name="dispatcher")
        self._events_task = asyncio.create_task(self._follow_calls(), name="call-events")

    async def stop(self) -> None:
        await stop_task(self._task)
        await stop_task(self._events_task)
        self._task = self._events_task = None

    async def _follow_calls(self) -> None:
        """Handle the AMI events of the calls in progress, one at a time, in order."""
        handlers = {"dialend": self._on_dial_end, "hangup": self._on_hangup}
        while True:
            message = await self._events.get()
            try:
                await handlers[message.name.lower()](message)
            except Exception:
                # One bad event (or Redis hiccup) must not stop the following of all calls.
                log.exception("handling %s failed", message.name)

    def _resync_soon(self) -> None:
        self._resync_due = True
        self.wake()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            if self._resync_due:
                try:
                    await self.resync()
                    self._resync_due = False
                except Exception as exc:
                    log.warning("resync after an AMI reconnect failed, retrying: %s", exc)
            for hotline_id in self._hotlines:
                try:
                    await self.dispatch(hotline_id)
                except Exception:
                    # Redis or AMI trouble (or a bug): the calls keep their places in Redis and
                    # the next tick tries again; one failure must not stop distribution.
                    log.exception("dispatch for %s failed", hotline_id)
            with contextlib.suppress(TimeoutError):
                await self._clock.wait_for(self._wake.wait(), self._tick_s)

    async def dispatch(self, hotline_id: str) -> int:
        """Connect every call that can be matched now; the number connected."""
        acd = self._acds[hotline_id]
        connected = 0
        while (assignment := await acd.assign(self._clock.now())) is not None:
            if await self._connect(hotline_id, assignment):
                connected += 1
        return connected

    async def _connect(self, hotline_id: str, a: Assignment) -> bool:
        hotline = self._hotlines[hotline_id]
        operator = hotline.operator(a.operator_id)
        call = self._tracker.by_call_id(a.call_id)
        if call is not None:
            call.operator_id = a.operator_id
        try:
            await self._ami.setvar(a.channel, "HOTLINE_OPERATOR", operator.id)
            await self._ami.setvar(a.channel, "HOTLINE_OPERATOR_DIAL", operator.dial)
            await self._ami.setvar(a.channel, "HOTLINE_RING_S", str(hotline.ring_timeout_s))
            await self._ami.redirect(a.channel, "hotline-connect", "s", "1")
        except AmiError as exc:
            # The caller is gone (hung up between the match and the Redirect): free the
            # operator; the Hangup event ends the call.
            log.info("call %s: redirect to %s failed: %s", a.call_id, operator.id, exc)
            # Cancel first: a ring-no-answer alone would put the call back in the queue, where
            # another assign could offer it to a second operator before the cancel.
            now = self._clock.now()
            await self._acds[hotline_id].cancel(a.call_id, now)
            await self._acds[hotline_id].ring_no_answer(a.call_id, a.operator_id, now)
            self.wake()
            return False
        log.info("call %s -> operator %s (waited %.0f s)", a.call_id, operator.id, a.waited_s)
        return True

    async def _on_dial_end(self, message: AmiMessage) -> None:
        call = self._tracker.by_uniqueid(message.get("Uniqueid") or "")
        if call is None or call.operator_id is None or call.answered_at is not None:
            return
        acd = self._acds[call.hotline_id]
        status = message.get("DialStatus") or ""
        if status == _ANSWERED:
            call.answered_at = self._clock.now()
            await acd.answered(call.call_id, call.operator_id, call.answered_at)
            return
        # Not answered: the caller goes back to hold (the dialplan) at the original place.
        log.info("call %s: operator %s did not answer (%s)", call.call_id, call.operator_id, status)
        await acd.ring_no_answer(call.call_id, call.operator_id, self._clock.now())
        call.operator_id = None
        self.wake()

    async def _on_hangup(self, message: AmiMessage) -> None:
        call = self._tracker.by_uniqueid(message.get("Uniqueid") or "")
        if call is not None:
            await self.end_call(call)

    async def end_call(self, call: TrackedCall) -> None:
        """The caller's channel is gone: free what it held and write its record."""
        now = self._clock.now()
        acd = self._acds[call.hotline_id]
        if call.answered_at is not None:
            await acd.complete(call.call_id, now)
            await self._tracker.finish(call, Outcome.ANSWERED)
            self.wake()
            return
        if call.enqueued_at is not None:
            await acd.cancel(call.call_id, now)
            if call.operator_id is not None:
                # Hung up while the operator's phone rang: free the operator (after the
                # cancel, so the call cannot be offered again in between).
                await acd.ring_no_answer(call.call_id, call.operator_id, now)
                self.wake()
            await self._tracker.finish(call, Outcome.ABANDONED)
            return
        # Never reached a queue and the menu did not end it: the menu failed and the
        # fallback took the call, or the FastAGI session never started properly.
        await self._tracker.finish(call, Outcome.FAILED)

    async def resync(self) -> None:
        """After an AMI reconnect: end the calls whose channels vanished meanwhile."""
        channels = await self._ami.core_show_channels()
        live = {m.get("Uniqueid") or "" for m in channels}
        for call in self._tracker.calls():
            if call.uniqueid not in live:
                await self.end_call(call)

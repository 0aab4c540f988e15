"""The dispatcher: hands waiting callers to free operators, and follows the calls it handed.

Matching happens in Redis (one Lua script, atomic); this module only carries the decision to
Asterisk: Setvar of the operator's dial string on the caller's channel, then a Redirect of the
caller out of the hold music into `hotline-connect`. It wakes when a call is enqueued or an
operator becomes free, and on a periodic tick as a safety net. The calls it handed are
followed by their AMI events in `hotline.controller.call_events`; lining them up with the
PBX and taking over a dead controller's calls is `hotline.controller.takeover`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Mapping

from hotline.ami.client import AmiClient
from hotline.ami.protocol import AmiError
from hotline.clock import Clock
from hotline.config import HotlineConfig
from hotline.controller.call_events import CallEvents
from hotline.controller.callback_dialer import AttemptSink, CallbackDialer
from hotline.controller.confirm import confirm_required
from hotline.controller.takeover import CallTakeover
from hotline.controller.tracker import CallTracker, TrackedCall
from hotline.queue import Acd, Assignment
from hotline.queue.inventory import CallInventory, StoredCall
from hotline.records import CallbackAttempt
from hotline.tasks import stop_task

log = logging.getLogger(__name__)

# Read by [hotline-connect]: what the operator's phone shows as the caller's name.
LABEL_VARIABLE = "HOTLINE_OPERATOR_LABEL"


def operator_label(hotline_id: str, language: str | None) -> str:
    """The name the operator's phone shows for a call: the caller's language and the
    hotline ("RU 400-100"); empty (the caller's own name shows) with no language known."""
    return f"{language.upper()} {hotline_id}" if language else ""


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
        *,
        inventories: Mapping[str, CallInventory] | None = None,
        attempt_sink: AttemptSink | None = None,
        controller_id: str | None = None,
    ) -> None:
        """`inventories`: the ACD's calls in progress by hotline, for the resync to adopt
        the calls of an earlier controller (none given: only the tracker's calls).
        `attempt_sink`: where the call-back attempts are recorded (none: not recorded).
        `controller_id`: this controller's id, the owner of the calls it adopts (see
        `hotline.queue.leases`; none: a new uuid4)."""
        self.controller_id = controller_id or uuid.uuid4().hex
        self._hotlines = hotlines
        self._acds = acds
        self._ami = ami
        self._tracker = tracker
        self._clock = clock
        self._tick_s = tick_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Set by an AMI reconnect; cleared only once a resync has succeeded, so a resync
        # that fails (AMI still flapping) is tried again on the next tick.
        self._resync_due = False
        self._in_sync = asyncio.Event()
        # Call-back assignments are placed there (operator first, then the caller).
        self.callbacks = CallbackDialer(
            hotlines,
            acds,
            ami,
            clock,
            attempt_sink or _not_recorded,
            self.wake,
            owner=self.controller_id,
        )
        self._events = CallEvents(hotlines, acds, tracker, clock, self.callbacks, self.wake)
        self._takeover = CallTakeover(
            self.controller_id,
            acds,
            ami,
            tracker,
            clock,
            inventories or {},
            self._events,
            self.callbacks,
        )

    def wake(self) -> None:
        """Something changed (a call waits, an operator is free): look for matches now."""
        self._wake.set()

    def start(self) -> None:
        """Follow AMI events and start distributing, after a first resync (the startup
        reconcile: adopt an earlier controller's callers, end those who left meanwhile)."""
        self._resync_soon()
        self._events.start(self._ami)
        self._ami.on_reconnect(self._resync_soon)
        self._task = asyncio.create_task(self._run(), name="dispatcher")

    async def stop(self) -> None:
        await stop_task(self._task)
        await self._events.stop()
        await self.callbacks.stop()
        self._task = None

    def _resync_soon(self) -> None:
        self._resync_due = True
        self._in_sync.clear()
        self.wake()

    async def wait_in_sync(self) -> None:
        """Return once the last resync due (at start, after a reconnect) has succeeded."""
        await self._in_sync.wait()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            if self._resync_due:
                # Cleared first: a reconnect during this resync asks for another one.
                self._resync_due = False
                try:
                    await self.resync()
                except Exception as exc:
                    self._resync_due = True
                    log.warning("resync with the PBX failed, retrying: %s", exc)
                    # No call is handed out before the calls are lined up with the channels:
                    # dispatching a caller who left unseen would cancel it without a record.
                    with contextlib.suppress(TimeoutError):
                        await self._clock.wait_for(self._wake.wait(), self._tick_s)
                    continue
            for hotline_id in self._hotlines:
                try:
                    await self.dispatch(hotline_id)
                except Exception:
                    # Redis or AMI trouble (or a bug): the calls keep their places in Redis and
                    # the next tick tries again; one failure must not stop distribution.
                    log.exception("dispatch for %s failed", hotline_id)
            # The timeout first: a coroutine made before an await that is cancelled would
            # never be awaited.
            timeout_s = await self._until_next_due()
            with contextlib.suppress(TimeoutError):
                await self._clock.wait_for(self._wake.wait(), timeout_s)

    async def _until_next_due(self) -> float:
        """Seconds until the next tick, or sooner until the first wrap-up runs out (an
        operator becomes free then with nothing else to wake the dispatcher) or an operator
        may be offered again a caller they did not answer."""
        wait = self._tick_s
        now = self._clock.now()
        for acd in self._acds.values():
            try:
                ends = [await acd.next_wrap_up_end(), await acd.next_reoffer_at()]
            except Exception as exc:
                log.debug("next wrap-up or re-offer unknown: %s", exc)
                continue
            for end in ends:
                if end is not None:
                    # A hair after the end: the scripts compare until <= now.
                    wait = min(wait, max(0.0, end - now) + 0.01)
        return wait

    async def dispatch(self, hotline_id: str) -> int:
        """Connect every call that can be matched now; the number connected."""
        acd = self._acds[hotline_id]
        routing = self._hotlines[hotline_id].routing
        connected = 0
        # Each assign also ends the wrap-ups that ran out (lazily, in Redis): the periodic
        # tick is what brings such an operator back when nothing else happens.
        while (
            assignment := await acd.assign(
                self._clock.now(), strategy=routing.strategy, tier_delay_s=routing.tier_delay_s
            )
        ) is not None:
            if assignment.kind == "callback":
                if await self.callbacks.place(hotline_id, assignment):
                    connected += 1
            elif await self._connect(hotline_id, assignment):
                connected += 1
        return connected

    async def _connect(self, hotline_id: str, a: Assignment) -> bool:
        hotline = self._hotlines[hotline_id]
        operator = hotline.operator(a.operator_id)
        call = self._tracker.by_call_id(a.call_id)
        if call is not None:
            call.operator_id = a.operator_id
        confirm = confirm_required(hotline, operator)
        confirming = self._events.confirming
        confirming.pop(a.call_id, None)
        if confirm and call is not None:
            # Ours only: the owner of another controller's call reads the offer from Redis
            # (`CallEvents.learn_operator`) when its operator's confirm or DialEnd comes.
            confirming[a.call_id] = operator.id
        try:
            await self._ami.setvar(a.channel, "HOTLINE_OPERATOR", operator.id)
            await self._ami.setvar(a.channel, "HOTLINE_OPERATOR_DIAL", operator.dial)
            await self._ami.setvar(a.channel, "HOTLINE_RING_S", str(hotline.ring_timeout_s))
            await self._ami.setvar(a.channel, "HOTLINE_CONFIRM", "1" if confirm else "0")
            # The operator's phone shows the caller's language before they answer: "RU
            # 400-100". Only on the operator's leg ([hotline-operator-label], Dial's b()):
            # the caller's own CALLERID(name), their AMI events and the CDR keep theirs.
            label = operator_label(hotline.id, call.language if call is not None else None)
            await self._ami.setvar(a.channel, LABEL_VARIABLE, label)
            await self._ami.redirect(a.channel, "hotline-connect", "s", "1")
        except AmiError as exc:
            confirming.pop(a.call_id, None)
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

    # --- following the calls (hotline.controller.call_events) ---------------------------

    def awaiting_confirmation(self, call_id: str) -> str | None:
        """The operator who must press 1 to take the call now, or None."""
        return self._events.awaiting_confirmation(call_id)

    async def operator_took(self, call_id: str, operator_id: str) -> bool:
        """The FastAGI `confirm` script: `operator_id` pressed 1 (see `CallEvents`)."""
        return await self._events.operator_took(call_id, operator_id)

    async def operator_declined(self, call_id: str, operator_id: str) -> None:
        """The FastAGI `confirm` script: `operator_id` did not take the call."""
        await self._events.operator_declined(call_id, operator_id)

    async def end_call(self, call: TrackedCall, ended_at: float | None = None) -> None:
        """The caller's channel is gone: free what it held and write its record."""
        await self._events.end_call(call, ended_at)

    # --- taking over calls (hotline.controller.takeover) --------------------------------

    async def resync(self) -> None:
        """Line the calls up with the channels Asterisk has (at start, after a reconnect;
        see `CallTakeover.resync`)."""
        await self._takeover.resync()
        if not self._resync_due:
            self._in_sync.set()

    async def take_over(self, lease_lapsed: bool = True) -> int:
        """Adopt the calls whose owner's lease has expired (see `CallTakeover.take_over`).
        Run after each lease renewal; the number of calls adopted. Nothing before the
        dispatcher's first resync, which adopts them anyway."""
        if self._task is None or not self._in_sync.is_set():
            return 0
        adopted = await self._takeover.take_over(lease_lapsed)
        if adopted:
            self.wake()
        return adopted

    async def adopt(self, hotline_id: str, stored: StoredCall, caller: str) -> TrackedCall | None:
        """Take over a call the ACD has in progress that the tracker does not know, if it
        is free to take (see `CallTakeover.adopt`)."""
        return await self._takeover.adopt(hotline_id, stored, caller)


async def _not_recorded(attempt: CallbackAttempt) -> None:
    log.debug("call-back attempt %s/%d not recorded", attempt.call_id, attempt.attempt)

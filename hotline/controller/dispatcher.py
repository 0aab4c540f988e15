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
import uuid
from collections.abc import Awaitable, Callable, Mapping

from hotline.ami.client import AmiClient
from hotline.ami.protocol import AmiError, AmiMessage
from hotline.clock import Clock
from hotline.config import HotlineConfig
from hotline.config.schema import DEFAULT_REOFFER_AFTER_S
from hotline.controller.adoption import RecentEvents, UnfollowedEvents, adopted_call
from hotline.controller.callback_dialer import AttemptSink, CallbackDialer
from hotline.controller.confirm import confirm_required
from hotline.controller.tracker import CallTracker, TrackedCall
from hotline.queue import Acd, Assignment
from hotline.queue.inventory import CallInventory, StoredCall
from hotline.records import CallbackAttempt, Outcome
from hotline.tasks import stop_task

log = logging.getLogger(__name__)

# Dial statuses that mean the operator was reached and talked.
_ANSWERED = "ANSWER"
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
        # AMI events of one call must be handled in the order they came (DialEnd ANSWER
        # before the Hangup that ends the talk), so they go through one queue and one task.
        self._events: asyncio.Queue[AmiMessage] = asyncio.Queue()
        self._events_task: asyncio.Task[None] | None = None
        # Set by an AMI reconnect; cleared only once a resync has succeeded, so a resync
        # that fails (AMI still flapping) is tried again on the next tick.
        self._resync_due = False
        self._inventories = inventories or {}
        self._recent = RecentEvents()
        # Events of calls another controller owns, for when this one takes them over.
        self._unfollowed = UnfollowedEvents()
        # Held while one AMI event is handled, and by a resync for its whole run: an event
        # that arrives during a resync is handled after it (see `resync`).
        self._calls_lock = asyncio.Lock()
        self._in_sync = asyncio.Event()
        # Calls offered to an operator who must press 1 to take them (a remote operator's
        # mobile, whose voicemail may answer; `hotline.controller.confirm`): call id ->
        # operator id, until the FastAGI `confirm` script reports or the Dial ends. For
        # these a DialEnd ANSWER alone is not an answer.
        self._confirming: dict[str, str] = {}
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

    def wake(self) -> None:
        """Something changed (a call waits, an operator is free): look for matches now."""
        self._wake.set()

    def start(self) -> None:
        """Follow AMI events and start distributing, after a first resync (the startup
        reconcile: adopt an earlier controller's callers, end those who left meanwhile)."""
        self._resync_soon()
        self._ami.on_event("DialEnd", self._events.put_nowait)
        self._ami.on_event("Hangup", self._events.put_nowait)
        self._ami.on_reconnect(self._resync_soon)
        self._task = asyncio.create_task(self._run(), name="dispatcher")
        self._events_task = asyncio.create_task(self._follow_calls(), name="call-events")

    async def stop(self) -> None:
        await stop_task(self._task)
        await stop_task(self._events_task)
        await self.callbacks.stop()
        self._task = self._events_task = None

    async def _follow_calls(self) -> None:
        """Handle the AMI events of the calls in progress, one at a time, in order."""
        handlers: dict[str, Callable[[AmiMessage], Awaitable[None]]] = {
            "dialend": self._on_dial_end,
            "hangup": self._on_hangup,
        }
        while True:
            message = await self._events.get()
            if self._recent.repeated(message):
                log.debug("ignoring a repeated %s of %s", message.name, message.get("Uniqueid"))
                continue
            try:
                async with self._calls_lock:
                    if not await self.callbacks.follow(message):
                        await handlers[message.name.lower()](message)
            except Exception:
                # One bad event (or Redis hiccup) must not stop the following of all calls.
                log.exception("handling %s failed", message.name)

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
        self._confirming.pop(a.call_id, None)
        if confirm and call is not None:
            # Ours only: the owner of another controller's call reads the offer from Redis
            # (`_learn_operator`) when its operator's confirm or DialEnd comes.
            self._confirming[a.call_id] = operator.id
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
            self._confirming.pop(a.call_id, None)
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

    async def _on_dial_end(self, message: AmiMessage, at: float | None = None) -> None:
        """`at`: when the event came, if earlier than now (replayed by `adopt`)."""
        call = self._tracker.by_uniqueid(message.get("Uniqueid") or "")
        if call is None:
            self._unfollowed.note(message, self._clock.now())
            return
        if call.answered_at is not None:
            return
        if call.operator_id is None and await self._learn_operator(call) is None:
            return
        assert call.operator_id is not None
        acd = self._acds[call.hotline_id]
        status = message.get("DialStatus") or ""
        now = self._clock.now() if at is None else at
        if status == _ANSWERED and call.call_id not in self._confirming:
            call.answered_at = now
            await acd.answered(call.call_id, call.operator_id, call.answered_at)
            return
        # Not answered: the caller goes back to hold (the dialplan) at the original place.
        # So too an operator who had to press 1 and never did (the confirm script would
        # have answered the call already): not taken (CONTINUE), or no report at all (the
        # operator hung up during the prompt, the controller was unreachable).
        self._confirming.pop(call.call_id, None)
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
        self.wake()

    async def _learn_operator(self, call: TrackedCall, *, confirm: bool = True) -> str | None:
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
            self._confirming.setdefault(call.call_id, operator_id)
        return operator_id

    def awaiting_confirmation(self, call_id: str) -> str | None:
        """The operator who must press 1 to take the call now, or None."""
        return self._confirming.get(call_id)

    async def operator_took(self, call_id: str, operator_id: str) -> bool:
        """The FastAGI `confirm` script: `operator_id` pressed 1. The call is answered now
        (in the ACD too). False if it no longer waits for that operator (the caller hung
        up, the Dial ended): the operator must not be connected."""
        async with self._calls_lock:
            call = self._tracker.by_call_id(call_id)
            if call is not None and call.operator_id is None:
                await self._learn_operator(call)  # offered by another controller
            if (
                call is None
                or self._confirming.get(call_id) != operator_id
                or call.operator_id != operator_id
                or call.answered_at is not None
            ):
                return False
            answered_at = self._clock.now()
            await self._acds[call.hotline_id].answered(call_id, operator_id, answered_at)
            del self._confirming[call_id]
            call.answered_at = answered_at
            return True

    async def operator_declined(self, call_id: str, operator_id: str) -> None:
        """The FastAGI `confirm` script: `operator_id` answered but did not take the call
        (no key, another key, hung up). Nothing changes yet: the Dial ends next (its
        DialEnd says CONTINUE, or ANSWER when the operator hung up during the prompt) and
        that DialEnd makes the ring-no-answer, as for a ring nobody answered. So the call
        is offered again only once the caller is out of the Dial, and a late DialEnd of
        this operator's leg can never be taken for the next operator's."""
        if self._confirming.get(call_id) == operator_id:
            log.info("call %s: operator %s did not take the call", call_id, operator_id)

    async def _on_hangup(self, message: AmiMessage) -> None:
        call = self._tracker.by_uniqueid(message.get("Uniqueid") or "")
        if call is None:
            self._unfollowed.note(message, self._clock.now())
            return
        await self.end_call(call)

    async def end_call(self, call: TrackedCall, ended_at: float | None = None) -> None:
        """The caller's channel is gone: free what it held and write its record.

        `ended_at`: when it went, if earlier than now (see `resync`)."""
        now = self._clock.now() if ended_at is None else ended_at
        acd = self._acds[call.hotline_id]
        self._confirming.pop(call.call_id, None)
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
            self.wake()
            return
        if call.enqueued_at is not None:
            if call.operator_id is None:
                # Offered by another controller's dispatcher: its operator is in Redis.
                await self._learn_operator(call, confirm=False)
            await acd.cancel(call.call_id, now)
            if call.operator_id is not None:
                # Hung up while the operator's phone rang: free the operator (after the
                # cancel, so the call cannot be offered again in between).
                await acd.ring_no_answer(call.call_id, call.operator_id, now)
                self.wake()
            await self._tracker.finish(call, Outcome.ABANDONED, now)
            return
        # Never reached a queue and the menu did not end it: the menu failed and the
        # fallback took the call, or the FastAGI session never started properly.
        await self._tracker.finish(call, Outcome.FAILED, now)

    async def resync(self) -> None:
        """Line the calls up with the channels Asterisk has (at start, after a reconnect).

        Asterisk is the source of truth for who is on the line. A call the ACD has in
        progress that the tracker does not know (an earlier controller's) is adopted; then
        every call whose channel is gone is ended: cancelled and recorded `abandoned`, or
        completed if it was talking. Runs under the events lock: AMI sends in order, so an
        event that comes after the channel list is handled after the resync, on the calls
        as the resync left them, and one that came before it is reflected in the list.
        """
        async with self._calls_lock:
            # Only a call known before the list was asked for can be missing from it for
            # good: a call that reached the menu meanwhile may have a channel the list
            # predates. Adopted calls are an earlier controller's: their channels are older.
            listed = {call.call_id for call in self._tracker.calls()}
            channels = await self._ami.core_show_channels()
            live = {m.get("Uniqueid") or "": m for m in channels}
            await self.callbacks.resync(live)
            for call in await self._adopt_from_acd(live):
                listed.add(call.call_id)
            # A call that went during an AMI gap ended some time between the loss of the
            # connection (the last moment we saw it) and now: the record says the loss, the
            # earliest possible end. At start there was no gap in this process, and when an
            # earlier controller last saw the call is not stored: the record says now.
            gap_started_at = self._ami.disconnected_at
            for call in self._tracker.calls():
                if call.call_id in listed and call.uniqueid not in live:
                    await self.end_call(call, _ended_at(call, gap_started_at))
        if not self._resync_due:
            self._in_sync.set()

    async def take_over(self, lease_lapsed: bool = True) -> int:
        """Adopt the calls whose owner's lease has expired (a controller that died; see
        `hotline.queue.leases`), as the resync does: Asterisk's channel list says which are
        still on the line, the others are ended now (at the hang-up this controller saw, if
        it saw one). Run after each lease renewal; the number of calls adopted. Nothing
        before the dispatcher's first resync, which adopts them anyway. `lease_lapsed`: this
        controller's own lease ran out since the last call, so another controller may have
        taken over calls of ours (`_give_up_taken`)."""
        if self._task is None or not self._in_sync.is_set():
            return 0
        if lease_lapsed:
            async with self._calls_lock:
                await self._give_up_taken()
        calls_orphaned = await self._orphans_exist()
        if not calls_orphaned and not await self.callbacks.orphans_exist():
            return 0
        async with self._calls_lock:
            channels = await self._ami.core_show_channels()
            live = {m.get("Uniqueid") or "": m for m in channels}
            adopted = await self._adopt_from_acd(live)
            for call in adopted:
                if call.uniqueid not in live and self._tracker.by_call_id(call.call_id) is call:
                    await self.end_call(call)
            # A dead controller's call-backs being placed, too.
            await self.callbacks.resync(live)
        if adopted:
            self.wake()
        return len(adopted)

    async def adopt(self, hotline_id: str, stored: StoredCall, caller: str) -> TrackedCall | None:
        """Take over a call the ACD has in progress that the tracker does not know (an
        earlier or dead controller's), if it is free to take (`Acd.claim`: ours, no owner,
        or an owner whose lease expired). The events this controller saw of it meanwhile
        are replayed. None: a live controller owns it, or it is over."""
        async with self._calls_lock:
            return await self._adopt(hotline_id, stored, caller)

    async def _adopt_from_acd(self, live: Mapping[str, AmiMessage]) -> list[TrackedCall]:
        """Adopt every call of the ACD that is free to take (see `adopt`); `live`: the
        channels by Uniqueid (the caller's number comes from there)."""
        adopted = []
        for hotline_id, inventory in self._inventories.items():
            for stored in await inventory.in_progress():
                if self._tracker.by_call_id(stored.call_id) is not None:
                    continue
                channel = live.get(stored.uniqueid)
                caller = (channel.get("CallerIDNum") or "") if channel else ""
                call = await self._adopt(hotline_id, stored, caller)
                if call is not None:
                    adopted.append(call)
        return adopted

    async def _adopt(self, hotline_id: str, stored: StoredCall, caller: str) -> TrackedCall | None:
        known = self._tracker.by_call_id(stored.call_id)
        if known is not None:
            return known
        acd = self._acds[hotline_id]
        if not await acd.claim(stored.call_id, self.controller_id):
            return None
        # Read again once ours: the owner may have changed the call until the claim.
        fresh = StoredCall.from_hash(await acd.call(stored.call_id) or {})
        if fresh is None or not fresh.in_progress:
            return None
        call = self._tracker.adopt(adopted_call(hotline_id, fresh, caller))
        log.info("call %s adopted from the ACD (%s)", call.call_id, fresh.state)
        await self._replay(call, fresh)
        return call

    async def _replay(self, call: TrackedCall, stored: StoredCall) -> None:
        """The events of an adopted call seen while another controller owned it: a DialEnd
        of the offer in the ACD (one that came after that offer was made), a Hangup."""
        for at, message in self._unfollowed.pop(call.uniqueid):
            if self._tracker.by_call_id(call.call_id) is not call:
                return
            hangup = message.name.lower() == "hangup"
            if not hangup and (
                stored.state != "offered" or stored.offered_at_s is None or at < stored.offered_at_s
            ):
                continue  # the end of an earlier offer, handled by the owner then
            log.info("call %s: %s seen while not ours, handled now", call.call_id, message.name)
            if hangup:
                await self.end_call(call, at)
            else:
                await self._on_dial_end(message, at)

    async def _give_up_taken(self) -> None:
        """Stop following the calls another controller took over: this one's lease lapsed
        (a long pause, Redis out of reach) and the other now owns them, follows their
        events and writes their records; following them here too would do it twice."""
        for call in self._tracker.calls():
            if call.enqueued_at is None:
                continue  # in the menu: not in the ACD, nobody else can own it
            stored = await self._acds[call.hotline_id].call(call.call_id)
            owner = (stored or {}).get("owner", "")
            if owner and owner != self.controller_id and self._tracker.forget(call):
                self._confirming.pop(call.call_id, None)
                log.warning("call %s was taken over by controller %s", call.call_id, owner)

    async def _orphans_exist(self) -> bool:
        """Whether the ACD has a call in progress that nobody alive owns."""
        for inventory in self._inventories.values():
            owners = {
                stored.owner
                for stored in await inventory.in_progress()
                if self._tracker.by_call_id(stored.call_id) is None
                and stored.owner != self.controller_id
            }
            if "" in owners or owners - await inventory.live_owners(owners - {""}):
                return True
        return False


def _reoffer_after_s(hotline: HotlineConfig, queue_id: str | None) -> float:
    """How long an operator who did not answer a caller of `queue_id` is not offered that
    caller again (the queue's `reoffer_same_operator_after_s`; the default if the queue is
    unknown, e.g. gone in a reload)."""
    for queue in hotline.queues:
        if queue.id == queue_id:
            return float(queue.reoffer_same_operator_after_s)
    return float(DEFAULT_REOFFER_AFTER_S)


def _ended_at(call: TrackedCall, gap_started_at: float | None) -> float | None:
    """When a call that vanished during an AMI gap ended: the start of the gap, but not
    before the last thing we know it did (the FastAGI menu kept working during the gap)."""
    if gap_started_at is None:
        return None
    seen = [t for t in (call.arrived_at, call.enqueued_at, call.answered_at) if t is not None]
    return max([gap_started_at, *seen])


async def _not_recorded(attempt: CallbackAttempt) -> None:
    log.debug("call-back attempt %s/%d not recorded", attempt.call_id, attempt.attempt)

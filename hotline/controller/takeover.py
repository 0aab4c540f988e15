"""Taking over calls: lining the calls up with Asterisk's channels (at start, after an AMI
reconnect) and adopting the calls of a controller that is gone.

Asterisk is the source of truth for who is on the line. A call the ACD has in progress that
the tracker does not know (an earlier or dead controller's, free to take: `Acd.claim`) is
adopted; every call whose channel is gone is ended (`CallEvents.end_call`). All of it runs
under the call events' lock, so an AMI event that comes during a resync is handled after it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from hotline.ami.client import AmiClient
from hotline.ami.protocol import AmiMessage
from hotline.clock import Clock
from hotline.controller.adoption import adopted_call
from hotline.controller.call_events import CallEvents
from hotline.controller.callback_dialer import CallbackDialer
from hotline.controller.tracker import CallTracker, TrackedCall
from hotline.queue import Acd
from hotline.queue.inventory import CallInventory, StoredCall

log = logging.getLogger("hotline.controller.dispatcher")


class CallTakeover:
    """Resyncs with the PBX and adopts the calls nobody alive follows."""

    def __init__(
        self,
        controller_id: str,
        acds: Mapping[str, Acd],
        ami: AmiClient,
        tracker: CallTracker,
        clock: Clock,
        inventories: Mapping[str, CallInventory],
        events: CallEvents,
        callbacks: CallbackDialer,
    ) -> None:
        self._controller_id = controller_id
        self._acds = acds
        self._ami = ami
        self._tracker = tracker
        self._clock = clock
        self._inventories = inventories
        self._events = events
        self._callbacks = callbacks

    async def resync(self) -> None:
        """Line the calls up with the channels Asterisk has (at start, after a reconnect).

        A call the ACD has in progress that the tracker does not know (an earlier
        controller's) is adopted; then every call whose channel is gone is ended: cancelled
        and recorded `abandoned`, or completed if it was talking. Runs under the events
        lock: AMI sends in order, so an event that comes after the channel list is handled
        after the resync, on the calls as the resync left them, and one that came before
        it is reflected in the list.
        """
        async with self._events.lock:
            # Only a call known before the list was asked for can be missing from it for
            # good: a call that reached the menu meanwhile may have a channel the list
            # predates. Adopted calls are an earlier controller's: their channels are older.
            listed = {call.call_id for call in self._tracker.calls()}
            channels = await self._ami.core_show_channels()
            live = {m.get("Uniqueid") or "": m for m in channels}
            await self._callbacks.resync(live)
            for call in await self._adopt_from_acd(live):
                listed.add(call.call_id)
            # A call that went during an AMI gap ended some time between the loss of the
            # connection (the last moment we saw it) and now: the record says the loss, the
            # earliest possible end. At start there was no gap in this process, and when an
            # earlier controller last saw the call is not stored: the record says now.
            gap_started_at = self._ami.disconnected_at
            for call in self._tracker.calls():
                if call.call_id in listed and call.uniqueid not in live:
                    await self._events.end_call(call, _ended_at(call, gap_started_at))

    async def take_over(self, lease_lapsed: bool) -> int:
        """Adopt the calls whose owner's lease has expired (a controller that died; see
        `hotline.queue.leases`), as the resync does: Asterisk's channel list says which are
        still on the line, the others are ended now. The number of calls adopted.
        `lease_lapsed`: this controller's own lease ran out since the last call, so another
        controller may have taken over calls of ours (`_give_up_taken`)."""
        if lease_lapsed:
            async with self._events.lock:
                await self._give_up_taken()
        calls_orphaned = await self._orphans_exist()
        if not calls_orphaned and not await self._callbacks.orphans_exist():
            return 0
        async with self._events.lock:
            channels = await self._ami.core_show_channels()
            live = {m.get("Uniqueid") or "": m for m in channels}
            adopted = await self._adopt_from_acd(live)
            for call in adopted:
                if call.uniqueid not in live and self._tracker.by_call_id(call.call_id) is call:
                    await self._events.end_call(call)
            # A dead controller's call-backs being placed, too.
            await self._callbacks.resync(live)
        return len(adopted)

    async def adopt(self, hotline_id: str, stored: StoredCall, caller: str) -> TrackedCall | None:
        """Take over a call the ACD has in progress that the tracker does not know (an
        earlier or dead controller's), if it is free to take (`Acd.claim`: ours, no owner,
        or an owner whose lease expired). The events this controller saw of it meanwhile
        are replayed. None: a live controller owns it, or it is over."""
        async with self._events.lock:
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
        if not await acd.claim(stored.call_id, self._controller_id):
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
        for at, message in self._events.unfollowed.pop(call.uniqueid):
            if self._tracker.by_call_id(call.call_id) is not call:
                return
            hangup = message.name.lower() == "hangup"
            if not hangup and (
                stored.state != "offered" or stored.offered_at_s is None or at < stored.offered_at_s
            ):
                continue  # the end of an earlier offer, handled by the owner then
            log.info("call %s: %s seen while not ours, handled now", call.call_id, message.name)
            if hangup:
                await self._events.end_call(call, at)
            else:
                await self._events.on_dial_end(message, at)

    async def _give_up_taken(self) -> None:
        """Stop following the calls another controller took over: this one's lease lapsed
        (a long pause, Redis out of reach) and the other now owns them, follows their
        events and writes their records; following them here too would do it twice."""
        for call in self._tracker.calls():
            if call.enqueued_at is None:
                continue  # in the menu: not in the ACD, nobody else can own it
            stored = await self._acds[call.hotline_id].call(call.call_id)
            owner = (stored or {}).get("owner", "")
            if owner and owner != self._controller_id and self._tracker.forget(call):
                self._events.confirming.pop(call.call_id, None)
                log.warning("call %s was taken over by controller %s", call.call_id, owner)

    async def _orphans_exist(self) -> bool:
        """Whether the ACD has a call in progress that nobody alive owns."""
        for inventory in self._inventories.values():
            owners = {
                stored.owner
                for stored in await inventory.in_progress()
                if self._tracker.by_call_id(stored.call_id) is None
                and stored.owner != self._controller_id
            }
            if "" in owners or owners - await inventory.live_owners(owners - {""}):
                return True
        return False


def _ended_at(call: TrackedCall, gap_started_at: float | None) -> float | None:
    """When a call that vanished during an AMI gap ended: the start of the gap, but not
    before the last thing we know it did (the FastAGI menu kept working during the gap)."""
    if gap_started_at is None:
        return None
    seen = [t for t in (call.arrived_at, call.enqueued_at, call.answered_at) if t is not None]
    return max([gap_started_at, *seen])

"""Two controllers, one ACD: the dispatcher's side of call ownership, with fakes (no
sockets, no Redis). A call of ours offered by the other controller's dispatcher; the events
of another controller's call replayed when this one takes the call over."""

from __future__ import annotations

import asyncio
from typing import Any

from hotline.controller.dispatcher import Dispatcher
from hotline.controller.tracker import CallTracker
from hotline.queue.inventory import StoredCall
from hotline.records import CallRecord, Outcome

from .conftest import hotline_400_100
from .fakes import FakeClock
from .test_adoption import OFFERED, EventAmi

T0 = 1_795_316_100.0


class OwnedAcd:
    """One call hash, as the other controller's dispatcher left it; the changes made."""

    def __init__(self, stored: dict[str, str]) -> None:
        self.stored = dict(stored)
        self.calls: list[tuple[Any, ...]] = []
        self.changed = asyncio.Event()

    def _note(self, *change: Any) -> None:
        self.calls.append(change)
        self.changed.set()

    async def assign(self, at: float, **options: Any) -> None:
        return None

    async def operator_states(self) -> dict[str, str]:
        return {}

    async def next_wrap_up_end(self) -> None:
        return None

    async def call(self, call_id: str) -> dict[str, str] | None:
        return dict(self.stored) if call_id == self.stored["call_id"] else None

    async def claim(self, call_id: str, controller_id: str) -> bool:
        self._note("claim", call_id)
        self.stored["owner"] = controller_id
        return True

    async def answered(self, call_id: str, op_id: str, at: float) -> str:
        self._note("answered", call_id, op_id, at)
        self.stored.update(state="talking", answered_at_s=repr(at))
        return "talking"

    async def ring_no_answer(self, call_id: str, op_id: str, at: float, **options: Any) -> str:
        self._note("ring_no_answer", call_id, op_id, at)
        return "waiting"

    async def complete(self, call_id: str, at: float, **options: Any) -> str:
        self._note("complete", call_id, at)
        return "done"

    async def cancel(self, call_id: str, at: float) -> str:
        self._note("cancel", call_id, at)
        return "cancelled"


def dial_end(uniqueid: str, dest: str, status: str) -> tuple[tuple[str, str], ...]:
    return (
        ("Event", "DialEnd"),
        ("Uniqueid", uniqueid),
        ("DestUniqueid", dest),
        ("DialStatus", status),
    )


async def handled() -> None:
    """Let the dispatcher's event task handle what was emitted (the fakes answer at once)."""
    await asyncio.sleep(0.02)


async def test_our_call_offered_by_the_other_controller_is_answered_with_its_operator() -> None:
    clock = FakeClock(T0)
    hotline = hotline_400_100()
    acd = OwnedAcd({**OFFERED, "owner": "us"})
    ami = EventAmi(OFFERED["uniqueid"])
    records: list[CallRecord] = []

    async def sink(record: CallRecord) -> None:
        records.append(record)

    tracker = CallTracker(clock, sink)
    dispatcher = Dispatcher(
        {hotline.id: hotline},
        {hotline.id: acd},  # type: ignore[dict-item]
        ami,  # type: ignore[arg-type]
        tracker,
        clock,
        controller_id="us",
    )
    dispatcher.start()
    try:
        await asyncio.wait_for(dispatcher.wait_in_sync(), 1)
        # Our menu enqueued it; the other controller's dispatcher offered it to op01.
        call = tracker.start(hotline.id, OFFERED["uniqueid"], OFFERED["channel"], "+7701")
        call.enqueued_at = T0 - 30.0
        acd.stored["call_id"] = call.call_id
        assert call.operator_id is None
        ami.emit(*dial_end(OFFERED["uniqueid"], "1795316039.3", "ANSWER"))
        await handled()
        clock.advance(20.0)
        ami.emit(("Event", "Hangup"), ("Uniqueid", OFFERED["uniqueid"]), ("Cause", "16"))
        await handled()
    finally:
        await dispatcher.stop()

    assert acd.calls == [
        ("answered", call.call_id, "op01", T0),
        ("complete", call.call_id, T0 + 20.0),
    ]
    (record,) = records
    assert (record.outcome, record.operator_id, record.talk_s) == (Outcome.ANSWERED, "op01", 20.0)


async def test_a_taken_over_call_replays_what_happened_while_its_owner_was_dead() -> None:
    clock = FakeClock(T0)
    hotline = hotline_400_100()
    offered_at = float(OFFERED["offered_at_s"])
    acd = OwnedAcd({**OFFERED, "owner": "dead"})
    uniqueid = OFFERED["uniqueid"]
    ami = EventAmi(uniqueid)
    records: list[CallRecord] = []

    async def sink(record: CallRecord) -> None:
        records.append(record)

    tracker = CallTracker(clock, sink)
    dispatcher = Dispatcher(
        {hotline.id: hotline},
        {hotline.id: acd},  # type: ignore[dict-item]
        ami,  # type: ignore[arg-type]
        tracker,
        clock,
        controller_id="us",
    )
    dispatcher.start()
    try:
        await asyncio.wait_for(dispatcher.wait_in_sync(), 1)
        # Seen while the dead controller owned the call: an older offer's no-answer (made
        # before the offer Redis holds now), this offer's answer, then the hang-up.
        clock.set(offered_at - 5.0)
        ami.emit(*dial_end(uniqueid, "1795316039.3", "NOANSWER"))
        await handled()
        clock.set(offered_at + 3.0)
        ami.emit(*dial_end(uniqueid, "1795316039.5", "ANSWER"))
        await handled()
        clock.set(offered_at + 60.0)
        ami.emit(("Event", "Hangup"), ("Uniqueid", uniqueid), ("Cause", "16"))
        await handled()
        assert acd.calls == []  # not ours: nothing done
        clock.set(offered_at + 90.0)
        stored = StoredCall.from_hash(acd.stored)
        assert stored is not None
        adopted = await dispatcher.adopt(hotline.id, stored, "+77010000001")
    finally:
        await dispatcher.stop()

    assert adopted is not None
    assert acd.calls == [
        ("claim", "c1"),
        ("answered", "c1", "op01", offered_at + 3.0),
        ("complete", "c1", offered_at + 60.0),
    ]
    (record,) = records
    assert (record.call_id, record.outcome, record.operator_id) == ("c1", "answered", "op01")
    assert record.ended_at.timestamp() == offered_at + 60.0
    assert record.talk_s == 57.0
    assert len(tracker) == 0


async def test_a_call_taken_over_by_another_controller_is_no_longer_followed_here() -> None:
    """Our lease lapsed (a long pause) and another controller claimed our call: at the next
    renewal we stop following it, without a record (the new owner writes it)."""
    clock = FakeClock(T0)
    hotline = hotline_400_100()
    acd = OwnedAcd({**OFFERED, "state": "waiting", "operator_id": "", "owner": "other"})
    ami = EventAmi(OFFERED["uniqueid"])
    records: list[CallRecord] = []

    async def sink(record: CallRecord) -> None:
        records.append(record)

    tracker = CallTracker(clock, sink)
    dispatcher = Dispatcher(
        {hotline.id: hotline},
        {hotline.id: acd},  # type: ignore[dict-item]
        ami,  # type: ignore[arg-type]
        tracker,
        clock,
        controller_id="us",
    )
    dispatcher.start()
    try:
        await asyncio.wait_for(dispatcher.wait_in_sync(), 1)
        ours = tracker.start(hotline.id, "1795316039.7", "PJSIP/trunk-00000007", "+7702")
        ours.enqueued_at = T0 - 10.0  # its hash says nothing of another owner: kept
        taken = tracker.start(hotline.id, OFFERED["uniqueid"], OFFERED["channel"], "+7701")
        taken.enqueued_at = T0 - 30.0
        acd.stored["call_id"] = taken.call_id
        menu = tracker.start(hotline.id, "1795316039.9", "PJSIP/trunk-00000009", "+7703")

        assert await dispatcher.take_over() == 0
        # Its hang-up is the new owner's business now.
        ami.emit(("Event", "Hangup"), ("Uniqueid", OFFERED["uniqueid"]), ("Cause", "16"))
        await handled()
    finally:
        await dispatcher.stop()

    assert {c.call_id for c in tracker.calls()} == {ours.call_id, menu.call_id}
    assert records == []
    assert acd.calls == []


def remote_offer_rig(
    clock: FakeClock,
) -> tuple[Dispatcher, CallTracker, OwnedAcd, EventAmi, list[CallRecord]]:
    """Our call, offered by the other controller's dispatcher to op04, whose mobile (a dial
    through the trunk) must press 1 to take it."""
    hotline = hotline_400_100()
    acd = OwnedAcd({**OFFERED, "operator_id": "op04", "owner": "us"})
    ami = EventAmi(OFFERED["uniqueid"])
    records: list[CallRecord] = []

    async def sink(record: CallRecord) -> None:
        records.append(record)

    tracker = CallTracker(clock, sink)
    dispatcher = Dispatcher(
        {hotline.id: hotline},
        {hotline.id: acd},  # type: ignore[dict-item]
        ami,  # type: ignore[arg-type]
        tracker,
        clock,
        controller_id="us",
    )
    return dispatcher, tracker, acd, ami, records


async def test_a_remote_operator_offered_our_call_elsewhere_must_press_1_here() -> None:
    clock = FakeClock(T0)
    dispatcher, tracker, acd, ami, _ = remote_offer_rig(clock)
    dispatcher.start()
    try:
        await asyncio.wait_for(dispatcher.wait_in_sync(), 1)
        call = tracker.start("400-100", OFFERED["uniqueid"], OFFERED["channel"], "+7701")
        call.enqueued_at = T0 - 30.0
        acd.stored["call_id"] = call.call_id
        # The mobile's voicemail answers: DialEnd ANSWER, nobody pressed 1.
        ami.emit(*dial_end(OFFERED["uniqueid"], "1795316039.3", "ANSWER"))
        await handled()
        acd.stored.update(state="offered", operator_id="op04")  # offered to op04 again
        clock.advance(30.0)
        assert await dispatcher.operator_took(call.call_id, "op04")
    finally:
        await dispatcher.stop()

    assert acd.calls == [
        ("ring_no_answer", call.call_id, "op04", T0),
        ("answered", call.call_id, "op04", T0 + 30.0),
    ]
    assert (call.operator_id, call.answered_at) == ("op04", T0 + 30.0)

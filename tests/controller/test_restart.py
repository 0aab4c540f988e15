"""A controller restart drops no waiting caller and loses no place (issue 4, items 6 and 7).

The callers wait inside Asterisk (the simulator runs the shipped dialplan), their places are
in Redis: a new controller process adopts them, serves them in their original order, and
records the one who hung up while no controller ran.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hotline.records import Outcome
from hotline.sim import SimCall, SimCaller, SimOperator

from .conftest import Rig, RigFactory, hotline_400_100, without_overflow

KK_SOCIAL = ["1", "1"]
PATIENT = 600.0


def talk_times(*seconds: float) -> Callable[[], float]:
    """An operator who talks `seconds[0]` on the first call, `seconds[1]` on the next..."""
    left = list(seconds)
    return lambda: left.pop(0)


async def wait_on_hold(rig: Rig, call: SimCall) -> None:
    await rig.events.first(
        lambda e: e.get("Event") == "MusicOnHoldStart" and e.get("Channel") == call.channel,
        rig.clock,
        60.0,
    )


async def waiting_callers(rig: Rig, count: int) -> list[SimCall]:
    """`count` callers who chose kk/social payments and wait on hold, in this order."""
    calls = []
    for _ in range(count):
        call = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
        await wait_on_hold(rig, call)
        calls.append(call)
    return calls


def answered_in_order(rig: Rig) -> list[str]:
    """The caller channels whose Dial an operator answered, in the order of the answers."""
    return [e["Channel"] for e in rig.events.matching("DialEnd", DialStatus="ANSWER")]


def fallback_channels(rig: Rig) -> set[str]:
    return {e["Channel"] for e in rig.events.matching("Newexten", Context="hotline-fallback")}


async def test_a_restart_keeps_the_waiting_callers_in_order_and_records_who_left(
    make_rig: RigFactory,
) -> None:
    # op01 talks with the first caller through the whole restart, then takes the others.
    rig = await make_rig(
        present={"op01"},
        operators={"op01": SimOperator(ring_s=1.0, talk_s=talk_times(300.0, 10.0, 10.0))},
    )
    talking = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    await rig.events.first(
        lambda e: e.get("Event") == "DialEnd" and e.get("Channel") == talking.channel,
        rig.clock,
        60.0,
    )
    first, leaver, last = await waiting_callers(rig, 3)
    old_ids = {c.uniqueid: rig.controller.tracker.by_uniqueid(c.uniqueid) for c in (first, last)}
    assert await rig.acd.waiting_count() == 3

    await rig.controller.stop()
    # While no controller runs, the callers go on waiting: a hold visit finds nobody
    # (AGISTATUS FAILURE) and the dialplan plays the music again.
    failed_visits = {"Variable": "AGISTATUS", "Value": "FAILURE", "Channel": first.channel}
    before = len(rig.events.matching("VarSet", **failed_visits))
    await rig.events.first(
        lambda e: len(rig.events.matching("VarSet", **failed_visits)) > before, rig.clock, 60.0
    )
    # One of them hangs up: nobody hears of it.
    assert rig.pbx.caller_hangs_up(leaver.channel)
    left = await rig.within(leaver.ended)
    await rig.restart_controller()

    for call in (talking, first, last):
        await rig.within(call.ended)
    records = await rig.settle()

    assert answered_in_order(rig) == [talking.channel, first.channel, last.channel]
    assert fallback_channels(rig) == set()
    by_uniqueid = {r.uniqueid: r for r in records}
    assert len(records) == 4
    assert {u: r.outcome for u, r in by_uniqueid.items()} == {
        talking.uniqueid: Outcome.ANSWERED,
        first.uniqueid: Outcome.ANSWERED,
        leaver.uniqueid: Outcome.ABANDONED,
        last.uniqueid: Outcome.ANSWERED,
    }
    # The adopted calls keep their identity and what Redis and the channel know of them.
    for uniqueid, old in old_ids.items():
        assert old is not None
        record = by_uniqueid[uniqueid]
        assert record.call_id == old.call_id
        assert (record.queue_id, record.language, record.topic, record.operator_id) == (
            "social-payments-kk",
            "kk",
            "social-payments",
            "op01",
        )
        assert record.caller == old.caller
        assert record.enqueued_at is not None
        assert record.enqueued_at.timestamp() == pytest.approx(old.enqueued_at, abs=1e-3)
    assert by_uniqueid[talking.uniqueid].operator_id == "op01"
    # Each wait runs from the original enqueue, across the restart, to the answer.
    first_answer = by_uniqueid[first.uniqueid].answered_at
    last_answer = by_uniqueid[last.uniqueid].answered_at
    assert first_answer is not None
    assert last_answer is not None
    assert first_answer < last_answer
    assert by_uniqueid[first.uniqueid].wait_s >= 300.0 - 60.0  # the first talk, mostly
    # The leaver: cancelled in Redis, recorded no earlier than the hang-up (the new
    # controller cannot know when it was; it says when it found out).
    gone = by_uniqueid[leaver.uniqueid]
    assert gone.ended_at.timestamp() >= left.ended_at
    state = await rig.acd.call(gone.call_id)
    assert state is not None
    assert state["state"] == "cancelled"
    op01 = await rig.acd.operator("op01")
    assert op01 is not None
    assert op01["answered"] == "3"
    assert await rig.acd.waiting_count() == 0


async def test_a_hold_visit_before_the_new_controller_connects_keeps_the_caller_waiting(
    make_rig: RigFactory,
) -> None:
    # op01's phone is there, but op01 logs in only with the new controller (no overflow
    # rule: with nobody on shift the caller would be sent to the duty group).
    rig = await make_rig(
        hotline=without_overflow(hotline_400_100()),
        present=(),
        operators={"op01": SimOperator(ring_s=1.0, talk_s=talk_times(10.0))},
    )
    (caller,) = await waiting_callers(rig, 1)
    old = rig.controller.tracker.by_uniqueid(caller.uniqueid)
    assert old is not None

    await rig.controller.stop()
    new = await rig.restart_controller(present={"op01"}, connect=False)
    # Without AMI the new controller learns of the caller only at its next hold visit; the
    # visit's own AGI events come after the adoption.
    await rig.events.first(
        lambda e: new.tracker.by_call_id(old.call_id) is not None, rig.clock, 120.0
    )
    adopted = new.tracker.by_call_id(old.call_id)
    assert adopted is not None
    assert (adopted.uniqueid, adopted.caller) == (caller.uniqueid, old.caller)
    assert adopted.enqueued_at == pytest.approx(old.enqueued_at)
    # ...and the caller goes back to the music, not to the fallback.
    music = len(rig.events.matching("MusicOnHoldStart", Channel=caller.channel))
    await rig.events.first(
        lambda e: len(rig.events.matching("MusicOnHoldStart", Channel=caller.channel)) > music,
        rig.clock,
        60.0,
    )

    await new.connect()
    await rig.within(caller.ended)
    records = await rig.settle()

    assert fallback_channels(rig) == set()
    assert [(r.call_id, r.outcome, r.operator_id) for r in records] == [
        (old.call_id, Outcome.ANSWERED, "op01")
    ]


async def test_a_conversation_that_ended_during_the_restart_is_completed(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig(
        present={"op01"},
        operators={"op01": SimOperator(ring_s=1.0, talk_s=talk_times(600.0, 10.0))},
    )
    talking = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    await rig.events.first(
        lambda e: e.get("Event") == "DialEnd" and e.get("Channel") == talking.channel,
        rig.clock,
        60.0,
    )
    old = rig.controller.tracker.by_uniqueid(talking.uniqueid)
    assert old is not None

    await rig.controller.stop()
    assert rig.pbx.caller_hangs_up(talking.channel)
    await rig.within(talking.ended)
    await rig.restart_controller()
    # op01 is free again for the next caller only if the new controller completed the call.
    after = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    await rig.within(after.ended)
    records = await rig.settle()

    by_uniqueid = {r.uniqueid: r for r in records}
    gone = by_uniqueid[talking.uniqueid]
    assert (gone.call_id, gone.outcome, gone.operator_id) == (old.call_id, "answered", "op01")
    assert gone.answered_at is not None
    assert gone.talk_s > 0.0
    assert (by_uniqueid[after.uniqueid].outcome, by_uniqueid[after.uniqueid].operator_id) == (
        "answered",
        "op01",
    )
    state = await rig.acd.call(old.call_id)
    assert state is not None
    assert state["state"] == "done"

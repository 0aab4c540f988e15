"""Redis loses its data (a restart without its append-only file, a FLUSHALL) while callers
wait: the controller rebuilds the ACD from what it tracks and what Asterisk has on the line
(`hotline.controller.rebuild`). Nobody goes to the duty group, every caller keeps their place.
"""

from __future__ import annotations

import pytest

from hotline.operators.control import login_arguments
from hotline.records import Outcome
from hotline.sim import SimCaller, SimOperator

from .conftest import RigFactory, hotline_400_100, without_overflow
from .test_restart import (
    KK_SOCIAL,
    PATIENT,
    answered_in_order,
    fallback_channels,
    talk_times,
    waiting_callers,
)


async def test_after_a_flush_the_waiting_callers_are_served_in_their_original_order(
    make_rig: RigFactory,
) -> None:
    # op01 talks with a first caller through the loss, then takes the two who wait.
    rig = await make_rig(
        present={"op01"},
        operators={"op01": SimOperator(ring_s=1.0, talk_s=talk_times(120.0, 10.0, 10.0))},
    )
    talking = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    await rig.events.first(
        lambda e: e.get("Event") == "DialEnd" and e.get("Channel") == talking.channel,
        rig.clock,
        60.0,
    )
    first, last = await waiting_callers(rig, 2)
    assert await rig.acd.waiting_count() == 2

    await rig.controller.redis.flushall()
    # The loss is found (the periodic check or a hold visit) and the ACD rebuilt: both
    # callers wait again, op01 is logged in and back on the call they talk on.
    await rig.events.first(lambda e: rig.controller.rebuild.rebuilds > 0, rig.clock, 60.0)
    assert await rig.acd.waiting_count() == 2
    op01 = await rig.acd.operator("op01")
    assert op01 is not None
    talking_call = rig.controller.tracker.by_uniqueid(talking.uniqueid)
    assert talking_call is not None
    assert (op01["state"], op01["call_id"]) == ("on_call", talking_call.call_id)

    for call in (talking, first, last):
        await rig.within(call.ended)
    records = await rig.settle()

    assert answered_in_order(rig) == [talking.channel, first.channel, last.channel]
    assert fallback_channels(rig) == set()
    # Exactly one record per call.
    assert len(records) == 3
    by_uniqueid = {r.uniqueid: r for r in records}
    assert {u: (r.outcome, r.operator_id) for u, r in by_uniqueid.items()} == {
        c.uniqueid: (Outcome.ANSWERED, "op01") for c in (talking, first, last)
    }
    # The waits run from the original enqueue, across the loss.
    assert by_uniqueid[first.uniqueid].wait_s >= 120.0 - 60.0
    assert rig.controller.rebuild.rebuilds == 1
    assert await rig.acd.waiting_count() == 0


async def test_a_hold_visit_of_a_call_redis_lost_puts_the_caller_back_at_their_place(
    make_rig: RigFactory,
) -> None:
    # Nobody on shift (no overflow rule: the caller would go to the duty group for that).
    rig = await make_rig(
        hotline=without_overflow(hotline_400_100()),
        present=(),
        operators={"op01": SimOperator(ring_s=1.0, talk_s=talk_times(10.0))},
    )
    (waiting,) = await waiting_callers(rig, 1)
    tracked = rig.controller.tracker.by_uniqueid(waiting.uniqueid)
    assert tracked is not None

    # The marker is back at once (one transaction): only the caller's next hold visit finds
    # that Redis does not know the call.
    async with rig.controller.redis.pipeline(transaction=True) as pipe:
        pipe.flushall()
        pipe.sadd(rig.acd.keys.alive, rig.controller.id)
        await pipe.execute()
    music = len(rig.events.matching("MusicOnHoldStart", Channel=waiting.channel))
    await rig.events.first(
        lambda e: len(rig.events.matching("MusicOnHoldStart", Channel=waiting.channel)) > music,
        rig.clock,
        120.0,
    )
    stored = await rig.acd.call(tracked.call_id)
    assert stored is not None
    assert stored["state"] == "waiting"
    assert float(stored["arrived_at_s"]) == pytest.approx(tracked.enqueued_at)
    assert rig.controller.rebuild.rebuilds == 0

    # op01 arrives: the caller is served, as one call with one record.
    queue_ids, levels = login_arguments(rig.hotline, "op01")
    await rig.acd.operator_login("op01", queue_ids, rig.clock.now(), levels)
    rig.controller.dispatcher.wake()
    await rig.within(waiting.ended)
    records = await rig.settle()
    assert fallback_channels(rig) == set()
    assert [(r.call_id, r.outcome, r.operator_id) for r in records] == [
        (tracked.call_id, Outcome.ANSWERED, "op01")
    ]

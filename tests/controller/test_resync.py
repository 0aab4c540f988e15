"""Calls whose Hangup the controller never heard of: the AMI resync ends them, once."""

from __future__ import annotations

import pytest

from hotline.records import Outcome
from hotline.sim import SimCaller

from .conftest import Rig, RigFactory, hotline_400_100, without_overflow

KK_SOCIAL = ["1", "1"]
PATIENT = 600.0


async def wait_on_hold(rig: Rig, channel: str) -> None:
    """Until the caller of `channel` listens to the hold music (it is in the queue)."""
    await rig.events.first(
        lambda e: e.get("Event") == "MusicOnHoldStart" and e.get("Channel") == channel,
        rig.clock,
        60.0,
    )


async def test_resync_ends_a_call_whose_channel_vanished_and_keeps_the_live_one(
    make_rig: RigFactory,
) -> None:
    # Nobody to answer (and no overflow rule to send them away): both callers wait on hold.
    rig = await make_rig(hotline=without_overflow(hotline_400_100()), present=())
    tracker = rig.controller.tracker
    live = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    await wait_on_hold(rig, live.channel)
    # A call the controller still holds although the PBX has no such channel any more: its
    # Hangup event went missing (the controller enqueued it like any other call).
    ghost = tracker.start(rig.hotline.id, "1700000000.99", "PJSIP/trunk-0000ffff", "+77019999999")
    ghost.queue_id = "social-payments-kk"
    ghost.enqueued_at = rig.clock.now()
    await rig.acd.enqueue(
        ghost.call_id,
        ghost.queue_id,
        0,
        ghost.enqueued_at,
        ghost.channel,
        ghost.uniqueid,
        "kk",
        "social-payments",
    )
    assert await rig.acd.waiting_count() == 2

    await rig.controller.dispatcher.resync()

    assert tracker.by_call_id(ghost.call_id) is None
    live_call = tracker.by_uniqueid(live.uniqueid)
    assert live_call is not None, "resync ended a call whose channel is still up"
    state = await rig.acd.call(ghost.call_id)
    assert state is not None
    assert state["state"] == "cancelled"
    assert await rig.acd.waiting_count() == 1
    records = await rig.records()
    assert [(r.call_id, r.outcome) for r in records] == [(ghost.call_id, Outcome.ABANDONED)]

    # A second resync changes nothing: one record per call.
    await rig.controller.dispatcher.resync()
    assert len(await rig.records()) == 1

    assert rig.pbx.caller_hangs_up(live.channel)
    await rig.within(live.ended)
    records = await rig.settle()
    assert sorted(r.uniqueid or "" for r in records) == sorted([ghost.uniqueid, live.uniqueid])
    assert len({r.call_id for r in records}) == 2


async def test_a_hangup_missed_while_ami_was_down_is_recorded_after_the_reconnect(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig(hotline=without_overflow(hotline_400_100()), present=())
    call = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    await wait_on_hold(rig, call.channel)
    tracked = rig.controller.tracker.by_uniqueid(call.uniqueid)
    assert tracked is not None

    # AMI goes away; meanwhile the caller hangs up: the controller hears nothing of it.
    await rig.ami_server.close()
    assert rig.pbx.caller_hangs_up(call.channel)
    await rig.within(call.ended)
    assert rig.controller.tracker.by_uniqueid(call.uniqueid) is tracked

    # AMI is back: the client reconnects, resynchronises and ends the call.
    back_at = rig.clock.now()
    await rig.restart_ami_server()
    records = await rig.settle()

    assert rig.controller.ami.reconnects >= 1
    assert len(records) == 1
    record = records[0]
    assert (record.call_id, record.uniqueid) == (tracked.call_id, call.uniqueid)
    assert record.outcome == Outcome.ABANDONED
    # It ended some time during the gap: the record says when the connection was lost, the
    # last moment the controller could have seen it, not when the resync found out.
    lost_at = rig.controller.ami.disconnected_at
    assert lost_at is not None
    assert record.ended_at.timestamp() == pytest.approx(lost_at, abs=1e-3)
    assert record.ended_at.timestamp() < back_at
    assert await rig.acd.waiting_count() == 0
    state = await rig.acd.call(record.call_id)
    assert state is not None
    assert state["state"] == "cancelled"

"""Two controllers share one Redis and one Asterisk (issue 4, item 8): no call is followed
twice, a call one assigns and the other follows is served right, and when one dies the other
takes over its callers, who keep their places.

Both run in this process against one simulated PBX and AMI server; the callers' FastAGI goes
to controller A (the PBX global HOTLINE_AGI, as a virtual IP would), both dispatchers run.
"""

from __future__ import annotations

import pytest

from hotline.controller.app import Controller
from hotline.records import Outcome
from hotline.sim import SimCall, SimCaller, SimOperator

from .conftest import Rig, RigFactory, hotline_400_100, without_overflow
from .test_restart import fallback_channels, talk_times, wait_on_hold

KK_SOCIAL = ["1", "1"]
PATIENT = 900.0
# Slower than the other controller tests: a lease of 15 clock seconds is 0.75 real seconds
# here, so a busy event loop never lets a live controller's lease run out.
SPEED = 20.0


async def never_dispatch(hotline_id: str) -> int:
    return 0


async def kill(controller: Controller) -> None:
    """What SIGKILL leaves of `controller`: its FastAGI listener and its AMI connection are
    closed and its lease, shift and dispatcher tasks are stopped, but nothing of its clean
    stop runs: its lease stays in Redis until it expires, its tracker keeps its calls and
    writes no record, its Redis and database connections stay open, unused (the read-only
    gauges task runs on until the test's teardown)."""
    await controller.lease.stop()
    for keeper in controller.shift_keepers:
        await keeper.stop()
    await controller.dispatcher.stop()
    await controller.agi.close()
    await controller.ami.close()


def answers(rig: Rig, call: SimCall) -> list[dict[str, str]]:
    return rig.events.matching("DialEnd", DialStatus="ANSWER", Channel=call.channel)


async def test_a_call_assigned_by_one_controller_is_followed_by_its_owner(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = await make_rig(hotline=without_overflow(hotline_400_100()), present={"op01"}, speed=SPEED)
    a = rig.controller
    b = await rig.add_controller()
    # Only B hands out calls: A's tracker has the call, but not the operator B chose.
    monkeypatch.setattr(a.dispatcher, "dispatch", never_dispatch)

    caller = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    ended = await rig.within(caller.ended)
    await rig.within(a.tracker.wait_idle())
    records = await rig.records()

    assert len(answers(rig, caller)) == 1
    assert [(r.uniqueid, r.outcome, r.operator_id) for r in records] == [
        (caller.uniqueid, Outcome.ANSWERED, "op01")
    ]
    assert records[0].talk_s > 0.0
    assert records[0].ended_at.timestamp() == pytest.approx(ended.ended_at, abs=2.0)
    stored = await b.acds[rig.hotline.id].call(records[0].call_id)
    assert stored is not None
    assert (stored["state"], stored["owner"]) == ("done", a.id)
    assert len(b.tracker) == 0  # B never followed it
    op01 = await b.acds[rig.hotline.id].operator("op01")
    assert op01 is not None
    assert op01["answered"] == "1"


async def test_when_a_controller_dies_the_other_takes_over_its_callers_in_order(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # op01 talks with the first caller through A's death, then takes the others.
    rig = await make_rig(
        hotline=without_overflow(hotline_400_100()),
        present={"op01"},
        operators={"op01": SimOperator(ring_s=1.0, talk_s=talk_times(900.0, 10.0, 10.0, 10.0))},
        speed=SPEED,
    )
    a = rig.controller
    b = await rig.add_controller()
    acd = b.acds[rig.hotline.id]
    # B hands out every call (A's tracker learns the operator from Redis), so that the
    # order of service does not depend on which dispatcher wakes first.
    monkeypatch.setattr(a.dispatcher, "dispatch", never_dispatch)
    talking = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    await rig.events.first(
        lambda e: e.get("Event") == "DialEnd" and e.get("Channel") == talking.channel,
        rig.clock,
        60.0,
    )
    waiting: list[SimCall] = []
    for _ in range(4):
        call = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
        await wait_on_hold(rig, call)
        waiting.append(call)
    first, leaver, second, third = waiting
    a_calls = {c.uniqueid: c.call_id for c in a.tracker.calls()}
    assert set(a_calls) == {c.uniqueid for c in (talking, *waiting)}
    assert len(b.tracker) == 0
    for call_id in a_calls.values():
        stored = await acd.call(call_id)
        assert stored is not None
        assert stored["owner"] == a.id

    died_at = rig.clock.now()
    await kill(a)
    rig.point_agi_at(b)
    # While A's lease runs, B leaves A's callers alone: their hold visits (now to B) keep
    # them waiting, and the hang-ups B sees are kept for later.
    assert rig.pbx.caller_hangs_up(leaver.channel)
    left = await rig.within(leaver.ended)
    assert rig.pbx.caller_hangs_up(talking.channel)
    talk_over = await rig.within(talking.ended)
    assert len(b.tracker) == 0
    assert rig.clock.now() - died_at < a.settings.lease_ttl_s

    for call in (first, second, third):
        await rig.within(call.ended)
    await rig.within(b.tracker.wait_idle())
    records = await rig.records()

    by_uniqueid = {r.uniqueid: r for r in records}
    assert len(records) == len(by_uniqueid) == 5
    assert {u: r.call_id for u, r in by_uniqueid.items()} == a_calls
    assert {u: r.outcome for u, r in by_uniqueid.items()} == {
        talking.uniqueid: Outcome.ANSWERED,
        first.uniqueid: Outcome.ANSWERED,
        leaver.uniqueid: Outcome.ABANDONED,
        second.uniqueid: Outcome.ANSWERED,
        third.uniqueid: Outcome.ANSWERED,
    }
    for call in (talking, first, second, third):
        assert len(answers(rig, call)) == 1, call.channel
    answered_order = [e["Channel"] for e in rig.events.matching("DialEnd", DialStatus="ANSWER")]
    assert answered_order == [talking.channel, first.channel, second.channel, third.channel]
    assert fallback_channels(rig) == set()
    # The hang-ups while nobody followed the calls are dated when B saw them, not when B
    # took the calls over.
    assert by_uniqueid[leaver.uniqueid].ended_at.timestamp() == pytest.approx(
        left.ended_at, abs=2.0
    )
    talked = by_uniqueid[talking.uniqueid]
    assert talked.ended_at.timestamp() == pytest.approx(talk_over.ended_at, abs=2.0)
    assert talked.operator_id == "op01"
    # Served in their original order, each waiting from its original enqueue.
    answered_at = [by_uniqueid[c.uniqueid].answered_at for c in (first, second, third)]
    assert all(t is not None for t in answered_at)
    assert answered_at == sorted(answered_at)  # type: ignore[type-var]
    for call_id in a_calls.values():
        stored = await acd.call(call_id)
        assert stored is not None
        assert stored["owner"] == b.id
    op01 = await acd.operator("op01")
    assert op01 is not None
    assert op01["answered"] == "4"
    assert await acd.waiting_count() == 0

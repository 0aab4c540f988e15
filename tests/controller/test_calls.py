"""Single calls through the whole controller over real TCP: the simulated PBX runs the
shipped dialplan, the controller serves FastAGI and follows AMI, Redis holds the queue and
the record lands in SQLite."""

from __future__ import annotations

from typing import Any

import pytest
import redis.exceptions

from hotline.ivr.actions import Action, Enqueue
from hotline.ivr.events import Event
from hotline.records import Outcome
from hotline.sim import SimCaller, SimOperator

from .conftest import DUTY_DIAL, Rig, RigFactory, hotline_400_100, talks, without_overflow

# 1 Kazakh, then 1 social payments: queue social-payments-kk (op01..op03 take it).
KK_SOCIAL = ["1", "1"]
PATIENT = 600.0


def dial_ends(rig: Rig, channel: str) -> list[tuple[str, str]]:
    """(operator leg prefix, DialStatus) of every Dial the caller's channel made."""
    return [
        (e["DestChannel"].rsplit("-", 1)[0], e["DialStatus"])
        for e in rig.events.matching("DialEnd", Channel=channel)
    ]


def positions(rig: Rig, name: str, channel: str) -> list[int]:
    """Where the events `name` of `channel` are in the PBX's event stream."""
    return [
        i
        for i, e in enumerate(rig.events.events)
        if e.get("Event") == name and e.get("Channel") == channel
    ]


async def test_ring_no_answer_puts_the_caller_back_on_hold_for_the_next_operator(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig(
        hotline=hotline_400_100(ring_timeout_s=5),
        present={"op01", "op02"},
        operators={
            # Both log in at the same instant: op01 (the lower id) is offered first.
            "op01": SimOperator(ring_s=None, talk_s=talks(10.0)),
            "op02": SimOperator(ring_s=1.0, talk_s=talks(12.0)),
        },
    )
    call = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    summary = await rig.within(call.ended)
    records = await rig.settle()

    assert dial_ends(rig, call.channel) == [
        ("PJSIP/op400-01", "NOANSWER"),
        ("PJSIP/op400-02", "ANSWER"),
    ]
    # Between the two Dials the dialplan took the caller back to the hold music.
    first_end = positions(rig, "DialEnd", call.channel)[0]
    second_begin = positions(rig, "DialBegin", call.channel)[1]
    assert any(
        first_end < i < second_begin for i in positions(rig, "MusicOnHoldStart", call.channel)
    )
    assert summary.operator == "PJSIP/op400-02"

    assert len(records) == 1
    record = records[0]
    assert record.uniqueid == call.uniqueid
    assert record.outcome == Outcome.ANSWERED
    assert record.operator_id == "op02"
    assert (record.queue_id, record.language, record.topic) == (
        "social-payments-kk",
        "kk",
        "social-payments",
    )
    # The wait covers op01's whole ring timeout (5 s) and op02's ring (1 s), and the second
    # offer came at once, not after a hold period (30 s). Upper bounds leave room for a
    # loaded machine: at SPEED 50 every real millisecond of latency is 50 simulated ones.
    assert 6.0 <= record.wait_s <= 20.0, record
    assert 9.0 <= record.talk_s <= 18.0, record

    op01 = await rig.acd.operator("op01")
    assert op01 is not None
    assert op01["state"] == "available"
    assert op01["call_id"] == ""
    assert (op01["misses"], op01["answered"]) == ("1", "0")
    assert await rig.controller.redis.zscore(rig.acd.keys.available, "op01") is not None
    op02 = await rig.acd.operator("op02")
    assert op02 is not None
    # op02 talked: wrapping up (routing.wrap_up_s from the end of the call) before the next.
    assert (op02["state"], op02["misses"], op02["answered"]) == ("wrap_up", "0", "1")
    assert op02["calls_taken"] == "1"
    assert await rig.controller.redis.zscore(rig.acd.keys.available, "op02") is None
    state = await rig.acd.call(record.call_id)
    assert state is not None
    assert (state["state"], state["operator_id"], state["misses"]) == ("done", "op02", "1")
    wrap_up_s = float(op02["wrap_up_until_s"]) - float(state["ended_at_s"])
    assert wrap_up_s == pytest.approx(rig.hotline.routing.wrap_up_s)


async def test_the_routing_settings_reach_the_acd(make_rig: RigFactory) -> None:
    """auto_pause_after 1: op01's one miss pauses them; wrap_up_s 0: op02 is free at once."""
    base = hotline_400_100(ring_timeout_s=5)
    routing = base.routing.model_copy(update={"auto_pause_after": 1, "wrap_up_s": 0})
    rig = await make_rig(
        hotline=base.model_copy(update={"routing": routing}),
        present={"op01", "op02"},
        operators={
            "op01": SimOperator(ring_s=None, talk_s=talks(10.0)),
            "op02": SimOperator(ring_s=1.0, talk_s=talks(12.0)),
        },
    )
    call = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    await rig.within(call.ended)
    records = await rig.settle()

    assert [r.operator_id for r in records] == ["op02"]
    op01 = await rig.acd.operator("op01")
    assert op01 is not None
    assert (op01["state"], op01["pause_reason"], op01["misses"]) == ("paused", "no-answer", "1")
    op02 = await rig.acd.operator("op02")
    assert op02 is not None
    assert (op02["state"], op02["calls_taken"]) == ("available", "1")


def fail_on_topic(rig: Rig, monkeypatch: pytest.MonkeyPatch, topic: str) -> None:
    """Make the menu branch that enqueues for `topic` raise, as a bug in it would."""
    scripts = rig.controller.scripts.menu
    perform = scripts._perform

    async def broken(session: Any, hotline: Any, call: Any, action: Action) -> Event | None:
        if isinstance(action, Enqueue) and action.topic == topic:
            raise RuntimeError(f"the {topic} branch is broken")
        return await perform(session, hotline, call, action)

    monkeypatch.setattr(scripts, "_perform", broken)


async def test_a_failing_menu_branch_sends_the_caller_to_the_duty_group(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = await make_rig(present={"op01", "op02"})
    fail_on_topic(rig, monkeypatch, "checkpoints")
    # 2 Russian, 2 checkpoints: the broken branch.
    call = await rig.call(SimCaller(digits=["2", "2"], think_s=0.5, patience_s=PATIENT))
    summary = await rig.within(call.ended)
    records = await rig.settle()

    assert rig.events.matching(
        "VarSet", Channel=call.channel, Variable="HOTLINE_NEXT", Value="fallback"
    )
    assert rig.events.matching("Newexten", Channel=call.channel, Context="hotline-fallback")
    assert dial_ends(rig, call.channel) == [(DUTY_DIAL, "ANSWER")]
    assert summary.operator == DUTY_DIAL
    assert summary.hung_up_by == "operator"

    assert len(records) == 1
    record = records[0]
    assert record.uniqueid == call.uniqueid
    assert record.outcome == Outcome.FAILED
    assert (record.queue_id, record.operator_id, record.enqueued_at) == (None, None, None)
    assert record.language == "ru"
    assert await rig.acd.waiting_count() == 0
    assert await rig.acd.call(record.call_id) is None
    assert await rig.acd.operator_states() == {"op01": "available", "op02": "available"}


async def test_a_menu_failing_after_the_enqueue_leaves_the_caller_with_the_duty_group(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ACD took the call but its reply was lost: the FastAGI handler fails and the
    caller goes to the duty group. No operator may then pull the caller out of that call."""
    rig = await make_rig(present={"op01", "op02"}, duty=SimOperator(ring_s=1.0, talk_s=talks(40.0)))
    acd = rig.acd
    enqueue = acd.enqueue

    async def reply_lost(*args: Any, **kwargs: Any) -> int:
        await enqueue(*args, **kwargs)
        raise redis.exceptions.TimeoutError("Timeout reading from socket")

    monkeypatch.setattr(acd, "enqueue", reply_lost)
    call = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    summary = await rig.within(call.ended)
    records = await rig.settle()

    assert rig.events.matching(
        "VarSet", Channel=call.channel, Variable="HOTLINE_NEXT", Value="fallback"
    )
    # Forty seconds with the duty group: the dispatcher's ticks came and went meanwhile.
    assert dial_ends(rig, call.channel) == [(DUTY_DIAL, "ANSWER")]
    assert summary.operator == DUTY_DIAL
    assert len(records) == 1
    record = records[0]
    assert record.outcome == Outcome.FAILED
    assert record.operator_id is None
    assert await acd.waiting_count() == 0
    state = await acd.call(record.call_id)
    assert state is not None
    assert state["state"] == "cancelled"
    ops = {op: await acd.operator(op) for op in ("op01", "op02")}
    assert {op: (h or {}).get("state") for op, h in ops.items()} == {
        "op01": "available",
        "op02": "available",
    }
    assert all((h or {}).get("misses") == "0" for h in ops.values())


async def test_a_caller_who_gives_up_on_hold_is_abandoned_and_leaves_the_queue(
    make_rig: RigFactory,
) -> None:
    # Nobody on duty and no overflow rule (the shipped one sends such callers to the duty
    # group): the caller can only wait.
    # Speed 10: the upper bound below leaves 5 simulated seconds for the hangup to reach the
    # record, 0.5 real s here (0.1 s at the rigs' usual 50, which a loaded machine outlasts).
    rig = await make_rig(hotline=without_overflow(hotline_400_100()), present=(), speed=10.0)
    patience_s = 8.0
    call = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=patience_s))
    summary = await rig.within(call.ended)
    records = await rig.settle()

    assert summary.hung_up_by == "caller"
    assert summary.answered_at is None
    assert len(records) == 1
    record = records[0]
    assert record.uniqueid == call.uniqueid
    assert record.outcome == Outcome.ABANDONED
    assert record.queue_id == "social-payments-kk"
    assert record.enqueued_at is not None
    assert record.operator_id is None
    assert record.answered_at is None
    # Patience counts from the hold music, which starts just after the enqueue.
    assert patience_s - 0.01 <= record.wait_s <= patience_s + 5.0, record
    assert record.talk_s == 0.0

    assert await rig.acd.waiting_count() == 0
    assert await rig.controller.redis.zscore(rig.acd.keys.waiting, record.call_id) is None
    state = await rig.acd.call(record.call_id)
    assert state is not None
    assert state["state"] == "cancelled"


async def test_a_caller_who_hangs_up_in_the_menu_is_abandoned_without_a_queue(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig(present={"op01"})
    # Chooses Kazakh, then listens to the main menu without pressing anything.
    call = await rig.call(SimCaller(digits=["1"], think_s=0.5, patience_s=PATIENT))
    await rig.events.first(
        lambda e: e.get("Event") == "AGIExecStart"
        and e.get("Channel") == call.channel
        and "menu-400-100" in e.get("Command", ""),
        rig.clock,
        60.0,
    )
    assert rig.pbx.caller_hangs_up(call.channel)
    summary = await rig.within(call.ended)
    records = await rig.settle()

    assert summary.hung_up_by == "caller"
    assert len(records) == 1
    record = records[0]
    assert record.uniqueid == call.uniqueid
    assert record.outcome == Outcome.ABANDONED
    assert record.language == "kk"
    assert (record.queue_id, record.topic, record.enqueued_at) == (None, None, None)
    assert (record.wait_s, record.talk_s) == (0.0, 0.0)
    # Never enqueued: no call in Redis at all, the operator never rang.
    assert await rig.acd.waiting_count() == 0
    assert await rig.acd.call(record.call_id) is None
    assert [k async for k in rig.controller.redis.scan_iter(rig.acd.keys.call_prefix + "*")] == []
    assert not rig.events.matching("DialBegin", Channel=call.channel)
    assert await rig.acd.operator_states() == {"op01": "available"}


async def test_asterisk_going_away_right_after_the_enqueue_ends_the_menu_session(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asterisk stops (every channel hangs up, the FastAGI socket closes) just as the menu
    hands the caller to the queue: the menu must end, not retry its last step for ever."""
    rig = await make_rig(present=())
    acd = rig.acd
    enqueue = acd.enqueue
    enqueues = 0

    async def then_asterisk_stops(*args: Any, **kwargs: Any) -> int:
        nonlocal enqueues
        enqueues += 1
        position = await enqueue(*args, **kwargs)
        await rig.pbx.close()
        return position

    monkeypatch.setattr(acd, "enqueue", then_asterisk_stops)
    call = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    summary = await rig.within(call.ended)
    await rig.within(rig.controller.agi.wait_idle(), 60.0)
    records = await rig.settle()

    assert summary.hung_up_by == "system"
    assert enqueues == 1
    assert [(r.uniqueid, r.outcome) for r in records] == [(call.uniqueid, Outcome.ABANDONED)]
    assert await acd.waiting_count() == 0

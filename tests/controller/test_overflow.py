"""Overflow rules and the maximum queue length, through the simulator: a wider group, a
call-back offer that keeps the caller's place, a message then the duty group; never a drop."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hotline.config import HotlineConfig
from hotline.config.overflow import ClosingConfig, OverflowRule
from hotline.queue.acd import queue_score
from hotline.queue.callbacks import callback_entry_id
from hotline.records import Outcome
from hotline.sim import SimCaller, SimOperator

from .conftest import DUTY_DIAL, RigFactory, hotline_400_100, streamed, talks, without_overflow

KK_SOCIAL = ["1", "1", "2"]  # Kazakh, payments, an operator: social-payments-kk
KK_CHECKPOINTS = ["1", "2"]  # Kazakh, checkpoints: checkpoints-kk
PATIENT = 900.0
ALMATY = ZoneInfo("Asia/Almaty")


def with_queue(hotline: HotlineConfig, queue_id: str, **changes: Any) -> HotlineConfig:
    queues = [q.model_copy(update=changes) if q.id == queue_id else q for q in hotline.queues]
    return hotline.model_copy(update={"queues": queues})


async def test_a_waiting_checkpoints_caller_widens_to_the_generalists(
    make_rig: RigFactory,
) -> None:
    # op02 (checkpoints) is busy for long; op01 takes `other` but not checkpoints.
    rig = await make_rig(
        present={"op01", "op02"},
        operators={
            "op01": SimOperator(ring_s=1.0, talk_s=talks(10.0)),
            "op02": SimOperator(ring_s=1.0, talk_s=talks(250.0)),
        },
    )
    first = await rig.call(SimCaller(digits=KK_CHECKPOINTS, think_s=0.5, patience_s=PATIENT))
    await rig.events.first(
        lambda e: e.get("Event") == "DialEnd" and e.get("Channel") == first.channel,
        rig.clock,
        120.0,
    )
    second = await rig.call(SimCaller(digits=KK_CHECKPOINTS, think_s=0.5, patience_s=PATIENT))
    summary = await rig.within(second.ended)

    # The shipped rule: after 120 s, checkpoints-kk widens to other-kk, where op01 is free.
    assert summary.operator == "PJSIP/op400-01"
    records = {r.uniqueid: r for r in await rig.settle()}
    record = records[second.uniqueid]
    assert record.outcome == Outcome.ANSWERED
    assert record.queue_id == "other-kk"
    assert 120.0 <= record.wait_s <= 200.0


async def test_a_call_back_accepted_in_the_queue_keeps_the_caller_s_place(
    make_rig: RigFactory,
) -> None:
    offer = OverflowRule(callers_per_operator=0.5, action="callback")
    hotline = with_queue(hotline_400_100(), "social-payments-kk", overflow=[offer])
    rig = await make_rig(
        hotline=hotline,
        present={"op01"},
        operators={"op01": SimOperator(ring_s=1.0, talk_s=talks(600.0))},
    )
    # The first caller may be offered a call-back too: they decline (press nothing).
    first = await rig.call(SimCaller(digits=[*KK_SOCIAL, ""], think_s=0.5, patience_s=PATIENT))
    await rig.events.first(
        lambda e: e.get("Event") == "DialEnd" and e.get("Channel") == first.channel,
        rig.clock,
        120.0,
    )
    second = await rig.call(SimCaller(digits=[*KK_SOCIAL, "1"], think_s=0.5, patience_s=PATIENT))
    await rig.within(second.ended)

    assert streamed(rig, second.channel)[-2:] == [
        "hotline/kk/overflow-callback-offer",
        "hotline/kk/callback-confirmed",
    ]
    [record] = [r for r in await rig.records() if r.uniqueid == second.uniqueid]
    assert record.outcome == Outcome.CALLBACK
    assert record.enqueued_at is not None
    # The request waits in the ACD at the very place the call had: its enqueue time.
    entry_id = callback_entry_id(record.call_id)
    score = await rig.controller.redis.zscore(rig.acd.keys.waiting, entry_id)
    assert score == queue_score(0, record.enqueued_at.timestamp())
    assert await rig.acd.call(record.call_id) is not None
    assert (await rig.acd.call(record.call_id) or {})["state"] == "cancelled"


async def test_nobody_on_shift_hears_why_and_reaches_the_duty_group(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig(present=set())
    call = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    summary = await rig.within(call.ended)

    assert "hotline/kk/overflow-no-operators" in streamed(rig, call.channel)
    assert summary.operator == DUTY_DIAL
    [record] = await rig.settle()
    assert record.outcome == Outcome.OVERFLOWED


async def test_a_full_queue_sends_the_next_caller_to_the_duty_group(
    make_rig: RigFactory,
) -> None:
    hotline = with_queue(hotline_400_100(), "social-payments-kk", max_waiting=1, overflow=[])
    rig = await make_rig(
        hotline=hotline,
        present={"op01"},
        operators={"op01": SimOperator(ring_s=1.0, talk_s=talks(300.0))},
    )
    talking = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    await rig.events.first(
        lambda e: e.get("Event") == "DialEnd" and e.get("Channel") == talking.channel,
        rig.clock,
        120.0,
    )
    waiting = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    await rig.events.first(
        lambda e: e.get("Event") == "MusicOnHoldStart" and e.get("Channel") == waiting.channel,
        rig.clock,
        120.0,
    )
    refused = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    summary = await rig.within(refused.ended)

    assert summary.operator == DUTY_DIAL
    assert "hotline/kk/overflow-no-operators" in streamed(rig, refused.channel)
    [record] = [r for r in await rig.records() if r.uniqueid == refused.uniqueid]
    assert record.outcome == Outcome.OVERFLOWED
    assert record.enqueued_at is None  # it never waited
    assert await rig.acd.waiting_count("social-payments-kk") == 1


async def test_callers_still_waiting_at_closing_time_hear_the_closing_message(
    make_rig: RigFactory,
) -> None:
    hotline = hotline_400_100(
        hours="08:00-20:00",
        closing=ClosingConfig(action="message", prompt="closed-400-100", then="hangup"),
    )
    rig = await make_rig(
        hotline=without_overflow(hotline),
        present={"op01"},
        operators={"op01": SimOperator(ring_s=1.0, talk_s=talks(300.0))},
        start=datetime(2026, 11, 23, 19, 59, 0, tzinfo=ALMATY).timestamp(),
    )
    talking = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    await rig.events.first(
        lambda e: e.get("Event") == "DialEnd" and e.get("Channel") == talking.channel,
        rig.clock,
        120.0,
    )
    waiting = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    summary = await rig.within(waiting.ended)

    assert summary.hung_up_by != "caller"
    assert summary.answered_at is None
    assert streamed(rig, waiting.channel)[-1] == "hotline/kk/closed-400-100"
    records = {r.uniqueid: r for r in await rig.settle()}
    assert records[waiting.uniqueid].outcome == Outcome.OVERFLOWED
    # The caller on the line at closing time finished their call.
    assert records[talking.uniqueid].outcome == Outcome.ANSWERED
    ended = records[waiting.uniqueid].ended_at
    assert ended.astimezone(ALMATY).strftime("%H:%M") == "20:00"


async def test_cross_language_overflow_reaches_only_a_bilingual_operator(
    make_rig: RigFactory,
) -> None:
    base = hotline_400_100()
    # op03 takes social payments in Kazakh only, but says they can help in Russian too.
    operators = [
        op.model_copy(update={"bilingual": True}) if op.id == "op03" else op
        for op in base.operators
    ]
    rule = OverflowRule(after_wait_s=30, action="bilingual")
    hotline = with_queue(
        without_overflow(base.model_copy(update={"operators": operators})),
        "social-payments-ru",
        overflow=[rule],
    )
    # Only op03 is on duty: without the overflow the Russian caller would wait for ever.
    rig = await make_rig(hotline=hotline, present={"op03"})
    call = await rig.call(SimCaller(digits=["2", "1", "2"], think_s=0.5, patience_s=PATIENT))
    summary = await rig.within(call.ended)

    assert summary.operator == "PJSIP/op400-03"
    [record] = await rig.settle()
    assert record.queue_id == "bilingual:social-payments"
    assert record.language == "ru"
    assert record.wait_s >= 30.0
    # Before answering, op03's phone showed the caller's language (its leg's connected
    # line); the caller's own name (none here) was left alone.
    [dial] = rig.events.matching("DialBegin", Channel=call.channel)
    assert (dial["DestConnectedLineName"], dial["CallerIDName"]) == ("RU 400-100", "<unknown>")


async def test_a_maximum_wait_hands_the_caller_to_the_duty_group(make_rig: RigFactory) -> None:
    rule = OverflowRule(
        after_wait_s=40, action="message", prompt="overflow-no-operators", then="fallback"
    )
    hotline = with_queue(hotline_400_100(), "social-payments-kk", overflow=[rule])
    rig = await make_rig(
        hotline=hotline,
        present={"op01"},
        operators={"op01": SimOperator(ring_s=1.0, talk_s=talks(300.0))},
    )
    talking = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    await rig.events.first(
        lambda e: e.get("Event") == "DialEnd" and e.get("Channel") == talking.channel,
        rig.clock,
        120.0,
    )
    waiting = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    summary = await rig.within(waiting.ended)

    assert summary.operator == DUTY_DIAL
    [record] = [r for r in await rig.records() if r.uniqueid == waiting.uniqueid]
    assert record.outcome == Outcome.OVERFLOWED
    # The rule is checked at the hold visits (30 s of music, then the announcement): at the
    # first visit after 40 s, not a whole extra hold period later.
    assert 40.0 < record.wait_s <= 100.0

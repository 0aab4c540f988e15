"""Calls outside the opening hours, through the whole controller: the caller chooses a
language, hears the hours and the call ends; one `closed` record, nothing in the queue."""

from __future__ import annotations

from datetime import datetime

from hotline.config import find_hotline, load_hotline
from hotline.records import Outcome
from hotline.sim import SimCaller

from .conftest import ALMATY, AT_10, Rig, RigFactory, hotline_400_100, streamed

# A Friday; 1414 is open 09:00-21:00 every day.
AT_22 = datetime(2026, 11, 20, 22, 0, tzinfo=ALMATY)
PATIENT = 600.0


async def assert_closed_without_a_queue(rig: Rig, channel: str, uniqueid: str) -> None:
    records = await rig.settle()
    assert len(records) == 1
    record = records[0]
    assert record.uniqueid == uniqueid
    assert record.outcome == Outcome.CLOSED
    assert (record.queue_id, record.topic, record.enqueued_at) == (None, None, None)
    assert rig.events.matching("VarSet", Channel=channel, Variable="HOTLINE_NEXT", Value="hangup")
    assert not rig.events.matching("DialBegin", Channel=channel)
    assert await rig.acd.waiting_count() == 0
    assert await rig.acd.call(record.call_id) is None


async def test_a_1414_call_at_22_hears_the_hours_and_is_recorded_closed(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig(
        hotline=load_hotline(find_hotline("1414")), start=AT_22.timestamp(), present={"op07"}
    )
    # 2 Russian; the hours; the call-back offer (the closed-hours self-service): 2 declines.
    call = await rig.call(SimCaller(digits=["2", "", "2"], think_s=0.5, patience_s=PATIENT))
    summary = await rig.within(call.ended)

    assert summary.answered_at is None
    assert streamed(rig, call.channel) == [
        "hotline/kk/choose-language-kk-ru-en",
        "hotline/ru/closed-1414",
        "hotline/ru/callback-offer",
        "hotline/ru/goodbye",
    ]
    await assert_closed_without_a_queue(rig, call.channel, call.uniqueid)
    assert (await rig.records())[0].language == "ru"


async def test_a_1414_call_at_10_goes_through_the_menu_as_before(make_rig: RigFactory) -> None:
    rig = await make_rig(hotline=load_hotline(find_hotline("1414")), start=AT_10.timestamp())
    call = await rig.call(SimCaller(digits=["2", "1"], think_s=0.5, patience_s=5.0))
    await rig.within(call.ended)
    records = await rig.settle()

    assert streamed(rig, call.channel)[:3] == [
        "hotline/kk/choose-language-kk-ru-en",
        "hotline/ru/greeting-1414",
        "hotline/ru/menu-1414",
    ]
    assert len(records) == 1
    assert records[0].outcome == Outcome.ABANDONED  # nobody on duty: gave up on hold
    assert records[0].queue_id == "egov-portal-ru"


async def test_a_24_7_hotline_is_closed_on_its_holidays(make_rig: RigFactory) -> None:
    rig = await make_rig(hotline=hotline_400_100(holidays=[AT_10.date()]), start=AT_10.timestamp())
    call = await rig.call(SimCaller(digits=["1"], think_s=0.5, patience_s=PATIENT))
    await rig.within(call.ended)

    assert streamed(rig, call.channel) == [
        "hotline/kk/choose-language",
        "hotline/kk/closed-400-100",
    ]
    await assert_closed_without_a_queue(rig, call.channel, call.uniqueid)

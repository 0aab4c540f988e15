"""Emergency mode through the whole controller: the mode is set in Redis while the controller
runs; the next caller hears the announcement and reaches the missing-persons group."""

from __future__ import annotations

import pytest

from hotline.config import find_hotline, load_hotline
from hotline.queue.mode import get_mode, set_mode
from hotline.records import Outcome
from hotline.sim import SimCaller

from .conftest import AT_10, RigFactory, streamed


async def test_a_1414_caller_in_emergency_mode_reaches_a_missing_persons_operator(
    make_rig: RigFactory,
) -> None:
    # op13 takes missing-persons only (early shift); op01 takes the portal, not missing persons.
    rig = await make_rig(
        hotline=load_hotline(find_hotline("1414")),
        start=AT_10.timestamp(),
        present={"op13", "op01"},
    )
    await set_mode(rig.controller.redis, "1414", "emergency")  # no restart
    assert await get_mode(rig.controller.redis, "1414") == "emergency"

    # 2 Russian, then 1: missing persons.
    call = await rig.call(SimCaller(digits=["2", "1"], think_s=0.5, patience_s=600.0))
    await rig.within(call.ended)
    records = await rig.settle()

    assert streamed(rig, call.channel)[:3] == [
        "hotline/kk/choose-language-kk-ru-en",
        "hotline/ru/emergency-1414",
        "hotline/ru/emergency-menu-1414",
    ]
    assert len(records) == 1
    record = records[0]
    assert record.outcome == Outcome.ANSWERED
    assert record.queue_id == "missing-persons-ru"
    assert record.topic == "missing-persons"
    assert record.operator_id == "op13"


async def test_back_to_normal_the_next_caller_hears_the_greeting(make_rig: RigFactory) -> None:
    rig = await make_rig(hotline=load_hotline(find_hotline("1414")), start=AT_10.timestamp())
    await set_mode(rig.controller.redis, "1414", "emergency")
    await set_mode(rig.controller.redis, "1414", "normal")
    call = await rig.call(SimCaller(digits=["2", "1"], think_s=0.5, patience_s=5.0))
    await rig.within(call.ended)
    records = await rig.settle()

    assert streamed(rig, call.channel)[:3] == [
        "hotline/kk/choose-language-kk-ru-en",
        "hotline/ru/greeting-1414",
        "hotline/ru/menu-1414",
    ]
    assert records[0].queue_id == "egov-portal-ru"


async def test_a_redis_error_reading_the_mode_gives_the_normal_menu(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    rig = await make_rig(hotline=load_hotline(find_hotline("1414")), start=AT_10.timestamp())
    await set_mode(rig.controller.redis, "1414", "emergency")

    async def broken() -> str:
        raise ConnectionError("redis went away")

    monkeypatch.setattr(rig.acd, "mode", broken)
    call = await rig.call(SimCaller(digits=["2", "1"], think_s=0.5, patience_s=5.0))
    await rig.within(call.ended)
    records = await rig.settle()

    assert streamed(rig, call.channel)[1] == "hotline/ru/greeting-1414"  # not dropped
    assert records[0].queue_id == "egov-portal-ru"
    assert "cannot read the mode of hotline 1414" in caplog.text

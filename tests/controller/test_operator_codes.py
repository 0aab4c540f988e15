"""Feature codes on an operator's phone ([hotline-operators], the FastAGI `operator` script),
through the simulator: who is calling, the PIN, and the ACD state afterwards."""

from __future__ import annotations

from hotline.controller.operator_codes import operators_on_phone
from hotline.sim import SimCall, SimCaller

from .conftest import Rig, RigFactory, hotline_400_100, streamed

PIN_01 = "4017"  # op01's sample PIN in config/hotlines/400-100.yaml
PIN_04 = "7304"  # op04 (remote, on a mobile through the trunk)


def test_the_phone_names_the_operator() -> None:
    hotlines = {"400-100": hotline_400_100()}
    [desk] = operators_on_phone(hotlines, "PJSIP/op400-01-0000002a", "op400-01")
    assert desk.operator.id == "op01"
    [mobile] = operators_on_phone(hotlines, "PJSIP/trunk-0000002b", "+77051110004")
    assert mobile.operator.id == "op04"
    assert operators_on_phone(hotlines, "PJSIP/trunk-0000002c", "+77010000000") == []
    # A caller number alone does not make a desk phone's operator.
    assert operators_on_phone(hotlines, "PJSIP/trunk-0000002d", "op400-01") == []


async def dial_code(
    rig: Rig, code: str, pins: list[str], endpoint: str = "op400-01", number: str = "op400-01"
) -> SimCall:
    call = await rig.pbx.place_call(
        code,
        SimCaller(digits=pins, think_s=0.5, patience_s=600.0),
        number,
        endpoint=endpoint,
        context="hotline-operators",
    )
    await rig.within(call.ended)
    return call


async def state(rig: Rig, op_id: str) -> str:
    found = await rig.acd.operator(op_id)
    return "unknown" if found is None else found["state"]


async def test_pause_and_ready_from_the_desk_phone(make_rig: RigFactory) -> None:
    rig = await make_rig(present={"op01", "op02"})
    assert await state(rig, "op01") == "available"

    paused = await dial_code(rig, "*13", [PIN_01])
    assert await state(rig, "op01") == "paused"
    assert streamed(rig, paused.channel) == [
        "hotline/kk/operator-enter-pin",
        "hotline/kk/operator-paused",
    ]

    # op01 is paused, so the caller goes to op02 although op01 has been idle longer.
    caller = await rig.call(SimCaller(digits=["1", "2"], think_s=0.5, patience_s=600.0))
    summary = await rig.within(caller.ended)
    assert summary.operator == "PJSIP/op400-02"

    ready = await dial_code(rig, "*14", [PIN_01])
    assert await state(rig, "op01") == "available"
    assert streamed(rig, ready.channel)[-1] == "hotline/kk/operator-ready"


async def test_a_remote_operator_logs_out_from_the_mobile(make_rig: RigFactory) -> None:
    rig = await make_rig(present={"op04"})
    assert await state(rig, "op04") == "available"
    await dial_code(rig, "*12", [PIN_04], endpoint="trunk", number="+77051110004")
    assert await state(rig, "op04") == "offline"
    await dial_code(rig, "*11", [PIN_04], endpoint="trunk", number="+77051110004")
    assert await state(rig, "op04") == "available"


async def test_three_wrong_pins_change_nothing(make_rig: RigFactory) -> None:
    rig = await make_rig(present={"op01"})
    call = await dial_code(rig, "*12", ["1111", "2222", "3333"])
    assert await state(rig, "op01") == "available"
    assert streamed(rig, call.channel) == [
        "hotline/kk/operator-enter-pin",
        "hotline/kk/operator-pin-wrong",
        "hotline/kk/operator-pin-wrong",
        "hotline/kk/operator-refused",
    ]


async def test_an_operator_without_a_pin_and_a_stranger_are_refused(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig(present={"op01", "op02"})
    no_pin = await dial_code(rig, "*13", ["0000"], endpoint="op400-02", number="op400-02")
    assert await state(rig, "op02") == "available"
    assert streamed(rig, no_pin.channel) == ["hotline/kk/operator-refused"]
    stranger = await dial_code(rig, "*13", [], endpoint="trunk", number="+77010000000")
    assert streamed(rig, stranger.channel) == ["hotline/kk/operator-refused"]

"""Operators' availability as the supervisor sees it, through the simulator: a softphone
that loses its registration gets no calls (hotline.controller.devices); a pause past its
limit shows on a gauge."""

from __future__ import annotations

from hotline.config.routing import PauseReasonConfig
from hotline.controller.devices import UNREGISTERED_PAUSE
from hotline.sim import SimCaller

from .conftest import Rig, RigFactory, hotline_400_100

KK_SOCIAL = ["1", "1", "2"]


async def operator_state(rig: Rig, op_id: str) -> tuple[str, str]:
    fields = await rig.acd.operator(op_id) or {}
    return fields.get("state", "-"), fields.get("pause_reason", "")


async def until_state(rig: Rig, op_id: str, state: str) -> None:
    """Wait, on the rig's clock, until `op_id` is in `state` (50 simulated seconds at most)."""
    for _ in range(50):
        if (await operator_state(rig, op_id))[0] == state:
            return
        await rig.clock.sleep(1.0)
    raise AssertionError(f"{op_id} never became {state}: {await operator_state(rig, op_id)}")


async def test_an_unregistered_phone_is_paused_and_comes_back(make_rig: RigFactory) -> None:
    rig = await make_rig(present={"op01", "op02"})
    rig.pbx.set_registered("PJSIP/op400-01", False)
    await until_state(rig, "op01", "paused")
    assert await operator_state(rig, "op01") == ("paused", UNREGISTERED_PAUSE)

    # op01 has been idle longest, but their phone is gone: op02 takes the call, and op01's
    # phone is never rung.
    call = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=600.0))
    summary = await rig.within(call.ended)
    assert summary.operator == "PJSIP/op400-02"
    assert not rig.events.matching("DialBegin", DestChannel="PJSIP/op400-01")
    assert not [e for e in rig.events.matching("DialBegin") if "op400-01" in e["DestChannel"]]

    rig.pbx.set_registered("PJSIP/op400-01", True)
    await until_state(rig, "op01", "available")


async def test_a_chosen_pause_survives_the_phone_coming_back(make_rig: RigFactory) -> None:
    rig = await make_rig(present={"op01"})
    await rig.acd.operator_pause("op01", "lunch", rig.clock.now(), ("lunch",))
    rig.pbx.set_registered("PJSIP/op400-01", False)
    rig.pbx.set_registered("PJSIP/op400-01", True)
    # Nothing changes to wait for: let a call run its menu meanwhile (seconds of the rig's
    # clock, far longer than handling two events takes).
    call = await rig.call(SimCaller(digits=[], think_s=0.5, patience_s=1.0))
    await rig.within(call.ended)
    assert await operator_state(rig, "op01") == ("paused", "lunch")


async def test_a_pause_past_its_limit_shows_on_the_supervisors_gauge(
    make_rig: RigFactory,
) -> None:
    base = hotline_400_100()
    reasons = {"break": PauseReasonConfig(limit_s=5)}
    routing = base.routing.model_copy(update={"pause_reasons": reasons})
    rig = await make_rig(hotline=base.model_copy(update={"routing": routing}), present={"op01"})
    await rig.acd.operator_pause("op01", "break", rig.clock.now(), ("break",))

    def gauge() -> float | None:
        return rig.controller.registry.get_sample_value(
            "hotline_operators_paused_too_long", {"hotline": "400-100"}
        )

    for _ in range(30):  # the gauges are refreshed every 5 s of the rig's clock
        if gauge() == 1.0:
            break
        await rig.clock.sleep(1.0)
    assert gauge() == 1.0
    await rig.acd.operator_ready("op01", rig.clock.now())
    for _ in range(30):
        if gauge() == 0.0:
            break
        await rig.clock.sleep(1.0)
    assert gauge() == 0.0

"""A shift change with calls in progress, through the simulator: the leaving operator
finishes their call and gets no new one; the arriving shift takes the next callers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hotline.records import Outcome
from hotline.sim import SimCaller, SimOperator

from .conftest import RigFactory, hotline_400_100, talks, without_overflow

ALMATY = ZoneInfo("Asia/Almaty")
KK_SOCIAL = ["1", "1", "2"]


async def test_the_day_operator_finishes_the_call_and_the_night_shift_takes_over(
    make_rig: RigFactory,
) -> None:
    # op01 works the day shift (08:00-20:00), op06 the night shift (20:00-08:00).
    rig = await make_rig(
        hotline=without_overflow(hotline_400_100()),
        present={"op01", "op06"},
        operators={
            "op01": SimOperator(ring_s=1.0, talk_s=talks(120.0)),
            "op06": SimOperator(ring_s=1.0, talk_s=talks(20.0)),
        },
        start=datetime(2026, 11, 23, 19, 59, 0, tzinfo=ALMATY).timestamp(),
    )
    before = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=900.0))
    await rig.events.first(
        lambda e: e.get("Event") == "DialEnd" and e.get("Channel") == before.channel,
        rig.clock,
        120.0,
    )
    # 20:00 passes while op01 talks: they stay on the call, with a logout pending.
    while rig.clock.now() < datetime(2026, 11, 23, 20, 0, 30, tzinfo=ALMATY).timestamp():
        await rig.clock.sleep(5.0)
    op01 = await rig.acd.operator("op01") or {}
    assert (op01.get("state"), op01.get("logout_pending")) == ("on_call", "1")

    after = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=900.0))
    summaries = [await rig.within(before.ended), await rig.within(after.ended)]
    records = {r.uniqueid: r for r in await rig.settle()}

    assert [s.operator for s in summaries] == ["PJSIP/op400-01", "PJSIP/op400-06"]
    first, second = records[before.uniqueid], records[after.uniqueid]
    assert (first.outcome, second.outcome) == (Outcome.ANSWERED, Outcome.ANSWERED)
    assert first.talk_s >= 110.0  # not cut short by the change
    # The leaving operator got no new caller, and is offline once the call is over.
    assert (await rig.acd.operator("op01") or {}).get("state") == "offline"
    assert (await rig.acd.operator("op06") or {}).get("state") in ("available", "wrap_up")

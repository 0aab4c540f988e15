"""Wrap-up with a required disposition, through the simulator: the operator cannot end the
wrap-up early without one, and the disposition (or its absence) reaches SQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hotline.operators import OperatorControl
from hotline.queue.errors import AcdConflictError
from hotline.sim import SimCaller, SimOperator

from .conftest import Rig, RigFactory, hotline_400_100, talks

KK_SOCIAL = ["1", "1", "2"]


async def stored(rig: Rig, count: int) -> list[dict[str, Any]]:
    """The stored dispositions once there are `count` (the controller moves them every few
    seconds of the rig's clock; a wrap-up runs out 60 s after its call)."""
    for _ in range(120):
        rows = await asyncio.to_thread(rig.controller.store.fetch_dispositions)
        if len(rows) >= count:
            return rows
        await rig.clock.sleep(1.0)
    raise AssertionError(f"fewer than {count} dispositions stored")


async def drained(rig: Rig) -> bool:
    """Whether Redis has let go of every disposition, waiting as `stored` does: the mover
    removes each from Redis just after SQL has it, so the rows can be seen first."""
    for _ in range(120):
        if await rig.acd.dispositions() == ([], []):
            return True
        await rig.clock.sleep(1.0)
    return False


async def test_a_required_disposition_ends_the_wrap_up_and_reaches_sql(
    make_rig: RigFactory,
) -> None:
    base = hotline_400_100()
    routing = base.routing.model_copy(
        update={
            "wrap_up_s": 60,
            "disposition_required": True,
            "dispositions": ["resolved", "escalated"],
        }
    )
    hotline = base.model_copy(update={"routing": routing})
    rig = await make_rig(
        hotline=hotline,
        present={"op01"},
        operators={"op01": SimOperator(ring_s=1.0, talk_s=talks(10.0))},
    )
    control = OperatorControl(hotline, rig.acd, rig.clock)

    first = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=600.0))
    await rig.within(first.ended)
    [first_record] = await rig.settle()
    op01 = await rig.acd.operator("op01") or {}
    assert op01.get("state") == "wrap_up"
    with pytest.raises(AcdConflictError, match="disposition required"):
        await control.ready("op01")
    assert await control.ready("op01", "escalated") == "available"

    # The second call's wrap-up runs out without a disposition.
    second = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=600.0))
    await rig.within(second.ended)
    records = await rig.settle()
    second_record = next(r for r in records if r.uniqueid == second.uniqueid)

    rows = {row["call_id"]: row for row in await stored(rig, 2)}
    assert rows[first_record.call_id]["disposition"] == "escalated"
    assert rows[first_record.call_id]["missing"] is False
    assert rows[first_record.call_id]["operator_id"] == "op01"
    assert rows[second_record.call_id]["missing"] is True
    assert rows[second_record.call_id]["disposition"] == ""
    # Moved, not copied: nothing is left to store, and each is stored once.
    assert await drained(rig)
    assert len(await asyncio.to_thread(rig.controller.store.fetch_dispositions)) == 2

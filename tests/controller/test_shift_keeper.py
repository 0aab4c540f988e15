"""ShiftKeeper.apply at instants around the 400-100 shift changes (08:00 and 20:00 Almaty),
against the real ACD in Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as redis

from hotline.controller.shifts import ShiftKeeper
from hotline.queue import Acd

from .conftest import hotline_400_100
from .fakes import FakeClock

ALMATY = ZoneInfo("Asia/Almaty")
DAY = {"op01", "op02", "op03", "op04", "op05"}  # 08:00-20:00
NIGHT = {"op06", "op07", "op08", "op09", "op10"}  # 20:00-08:00 (next day)


def almaty(day: int, hour: int, minute: int = 0, second: int = 0) -> float:
    """2026-11-<day> (the 23rd is a Monday) at that Almaty wall-clock time."""
    return datetime(2026, 11, day, hour, minute, second, tzinfo=ALMATY).timestamp()


class Changes:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@pytest.fixture
async def acd(redis_url: str) -> AsyncIterator[Acd]:
    client = redis.Redis.from_url(redis_url)
    try:
        yield Acd(client, "400-100")
    finally:
        await client.aclose()


async def states(acd: Acd, op_ids: set[str]) -> dict[str, str]:
    every = await acd.operator_states()
    return {op: every.get(op, "-") for op in sorted(op_ids)}


def all_in(op_ids: set[str], state: str) -> dict[str, str]:
    return dict.fromkeys(sorted(op_ids), state)


async def test_the_evening_change_swaps_the_day_shift_for_the_night_shift(acd: Acd) -> None:
    hotline = hotline_400_100()
    clock = FakeClock(almaty(23, 19, 59, 59))
    changes = Changes()
    keeper = ShiftKeeper(hotline, acd, clock, changes)

    await keeper.apply()
    assert keeper.logged_in == DAY
    assert await states(acd, DAY | NIGHT) == {**all_in(DAY, "available"), **all_in(NIGHT, "-")}
    op03 = await acd.operator("op03")
    assert op03 is not None
    # op03 takes social payments in Kazakh only.
    assert op03["queues"] == "social-payments-kk"
    assert changes.count == 1

    # The same instant again: nothing to do, nobody is told.
    await keeper.apply()
    assert changes.count == 1

    clock.set(almaty(23, 20, 0))
    await keeper.apply()
    assert keeper.logged_in == NIGHT
    assert await states(acd, DAY | NIGHT) == {
        **all_in(DAY, "offline"),
        **all_in(NIGHT, "available"),
    }
    assert changes.count == 2

    # Past midnight the night shift of Monday is still on; at 08:00 the day shift returns.
    clock.set(almaty(24, 3, 0))
    await keeper.apply()
    assert keeper.logged_in == NIGHT
    assert changes.count == 2
    clock.set(almaty(24, 8, 0))
    await keeper.apply()
    assert keeper.logged_in == DAY
    assert await states(acd, DAY | NIGHT) == {
        **all_in(DAY, "available"),
        **all_in(NIGHT, "offline"),
    }
    assert changes.count == 3


async def test_an_operator_on_a_call_at_the_change_leaves_after_the_call(acd: Acd) -> None:
    hotline = hotline_400_100()
    clock = FakeClock(almaty(23, 19, 50))
    keeper = ShiftKeeper(hotline, acd, clock, Changes(), present={"op03", "op06"})

    await keeper.apply()
    assert keeper.logged_in == {"op03"}  # present and on shift; op06 starts at 20:00
    await acd.enqueue(
        "call-1", "social-payments-kk", 0, clock.now(), "PJSIP/trunk-1", "1.1", "kk", "social"
    )
    assignment = await acd.assign(clock.now())
    assert assignment is not None
    assert assignment.operator_id == "op03"
    await acd.answered("call-1", "op03", clock.now())

    clock.set(almaty(23, 20, 0))
    await keeper.apply()
    assert keeper.logged_in == {"op06"}
    op03 = await acd.operator("op03")
    assert op03 is not None
    # Still talking: the logout waits for the end of the call.
    assert (op03["state"], op03["logout_pending"]) == ("on_call", "1")
    assert await states(acd, {"op06"}) == {"op06": "available"}

    clock.advance(120)
    await acd.complete("call-1", clock.now())
    assert await states(acd, {"op03", "op06"}) == {"op03": "offline", "op06": "available"}
    # Nobody from the day shift is offered a call any more.
    await acd.enqueue(
        "call-2", "social-payments-kk", 0, clock.now(), "PJSIP/trunk-2", "1.2", "kk", "social"
    )
    second = await acd.assign(clock.now())
    assert second is not None
    assert second.operator_id == "op06"


async def test_nobody_present_means_nobody_logs_in(acd: Acd) -> None:
    changes = Changes()
    keeper = ShiftKeeper(
        hotline_400_100(), acd, FakeClock(almaty(23, 10, 0)), changes, present=set()
    )
    await keeper.apply()
    assert keeper.logged_in == frozenset()
    assert await acd.operator_states() == {}
    assert changes.count == 0

"""The injected clock: the simulated pace scales with the speed, deadlines get a real-time
floor; the time a run or a test starts at is an input."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotline.clock import DEADLINE_FLOOR_S, ScaledClock, at_epoch_s, parse_datetime
from hotline.sim.classic_agi import TIME_OFFSET_ENV, child_environment


async def test_a_deadline_of_simulated_seconds_outlasts_a_hiccup_at_high_speed() -> None:
    # 30 simulated seconds at speed 300 are 0.1 real seconds: a reply 0.3 s late (a loaded
    # machine) used to fail the run (the simulate grace of issue 9).
    clock = ScaledClock(300.0)

    async def late_reply() -> str:
        await asyncio.sleep(0.3)
        return "done"

    assert await clock.deadline(late_reply(), 30.0) == "done"


def test_deadline_lengths_in_real_seconds() -> None:
    fast = ScaledClock(300.0)
    assert fast.deadline_real_s(30.0) == DEADLINE_FLOOR_S
    assert fast.deadline_real_s(3000.0) == 10.0  # longer than the floor: the speed rules
    assert fast.deadline_real_s(0.5) == 0.5  # never longer than the deadline itself
    assert ScaledClock(1.0).deadline_real_s(30.0) == 30.0
    assert ScaledClock(300.0, deadline_floor_s=0.0).deadline_real_s(30.0) == 0.1


async def test_the_simulated_pace_gets_no_floor() -> None:
    clock = ScaledClock(1000.0)
    never = asyncio.Event()
    # 10 simulated seconds at speed 1000: 10 real ms, not the 2 s floor of a deadline.
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(clock.wait_for(never.wait(), 10.0), DEADLINE_FLOOR_S / 2)


def test_the_classic_script_gets_the_simulated_time_of_day() -> None:
    simulated = at_epoch_s(parse_datetime("2026-11-20T22:30"), "Asia/Almaty")
    env = child_environment({}, Path("agi_scripts"), simulated)
    offset = float(env[TIME_OFFSET_ENV])
    now = datetime.now(UTC).timestamp()
    assert abs(now + offset - simulated) < 60.0


def test_a_start_without_an_offset_is_local_time_of_the_zone() -> None:
    assert at_epoch_s(parse_datetime("2026-11-20T10:00"), "Asia/Almaty") == (
        datetime(2026, 11, 20, 5, 0, tzinfo=UTC).timestamp()
    )
    assert at_epoch_s(parse_datetime("2026-11-20T10:00+00:00"), "Asia/Almaty") == (
        datetime(2026, 11, 20, 10, 0, tzinfo=UTC).timestamp()
    )
    with pytest.raises(ValueError, match="is not an ISO date and time"):
        parse_datetime("10am")

"""Who is on shift, and whether a hotline is open, at given Asia/Almaty instants."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from hotline.config import HotlineConfig, find_hotline, load_hotline
from hotline.shifts import is_open, next_change_s, on_shift
from tests.config.samples import VALID_YAML

ALMATY = ZoneInfo("Asia/Almaty")
MONDAY = 23  # 2026-11-23 is a Monday


def at(day: int, hour: int, minute: int = 0) -> float:
    """Epoch seconds of 2026-11-<day> hour:minute, Almaty wall-clock time."""
    return datetime(2026, 11, day, hour, minute, tzinfo=ALMATY).timestamp()


def hotline(hotline_id: str) -> HotlineConfig:
    return load_hotline(find_hotline(hotline_id))


def ids(config: HotlineConfig, instant: float) -> list[str]:
    return [operator.id for operator in on_shift(config, instant)]


def with_shifts(shifts: list[dict[str, Any]], **changes: Any) -> HotlineConfig:
    data = yaml.safe_load(VALID_YAML)
    data["shifts"] = shifts
    data.update(changes)
    return HotlineConfig.model_validate(data)


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [
        (0, 0, ["op01", "op02", "op03"]),  # the evening shift's "24:00" end is exclusive
        (3, 0, ["op01", "op02", "op03"]),
        (5, 59, ["op01", "op02", "op03"]),
        (6, 0, ["op04", "op05", "op06"]),  # a shift's start is inclusive
        (11, 59, ["op04", "op05", "op06"]),
        (12, 0, ["op07", "op08", "op09"]),
        (18, 0, ["op10", "op11", "op12"]),
        (23, 59, ["op10", "op11", "op12"]),
    ],
)
def test_109_four_shifts(hour: int, minute: int, expected: list[str]) -> None:
    assert ids(hotline("109"), at(MONDAY, hour, minute)) == expected


def test_400_100_night_shift_crosses_midnight() -> None:
    hq = hotline("400-100")
    night = ["op06", "op07", "op08", "op09", "op10"]
    assert ids(hq, at(MONDAY, 21)) == night
    assert ids(hq, at(MONDAY + 1, 2)) == night
    assert ids(hq, at(MONDAY + 1, 7, 59)) == night
    assert ids(hq, at(MONDAY + 1, 8)) == ["op01", "op02", "op03", "op04", "op05"]


def test_a_midnight_shift_counts_for_the_day_it_started() -> None:
    friday_nights = with_shifts(
        [
            {
                "name": "fri-night",
                "days": ["fri"],
                "start": "20:00",
                "end": "08:00",
                "members": ["op1"],
            }
        ]
    )
    friday, saturday = MONDAY + 4, MONDAY + 5
    assert ids(friday_nights, at(friday, 3)) == []  # Thursday night is not a shift
    assert ids(friday_nights, at(friday, 19, 59)) == []
    assert ids(friday_nights, at(friday, 20)) == ["op1"]
    assert ids(friday_nights, at(saturday, 3)) == ["op1"]
    assert ids(friday_nights, at(saturday, 8)) == []
    assert ids(friday_nights, at(saturday, 21)) == []


def test_the_time_zone_decides() -> None:
    day_shift = [
        {"name": "d", "days": ["mon"], "start": "09:00", "end": "17:00", "members": ["op1"]}
    ]
    almaty = with_shifts(day_shift)
    london = with_shifts(day_shift, timezone="Europe/London")
    instant = at(MONDAY, 10)  # 10:00 in Almaty is 05:00 in London
    assert ids(almaty, instant) == ["op1"]
    assert ids(london, instant) == []
    assert ids(london, at(MONDAY, 16)) == ["op1"]  # 11:00 in London


def test_without_shifts_everyone_is_on_duty() -> None:
    config = with_shifts([])
    assert ids(config, at(MONDAY, 3)) == ["op1"]
    assert next_change_s(config, at(MONDAY, 3)) == math.inf


def test_1414_opening_hours() -> None:
    egov = hotline("1414")
    assert not is_open(egov, at(MONDAY, 8, 59))
    assert is_open(egov, at(MONDAY, 9))
    assert is_open(egov, at(MONDAY, 20, 59))
    assert not is_open(egov, at(MONDAY, 21))
    assert not is_open(egov, at(MONDAY + 1, 2))
    assert all(is_open(hotline("109"), at(MONDAY, hour)) for hour in range(24))


def test_opening_hours_across_midnight() -> None:
    late = with_shifts([], hours="20:00-02:00")
    assert is_open(late, at(MONDAY + 1, 1, 59))
    assert not is_open(late, at(MONDAY + 1, 2))
    assert not is_open(late, at(MONDAY, 19))


@pytest.mark.parametrize(
    ("hotline_id", "now", "expected"),
    [
        ("109", at(MONDAY, 3), at(MONDAY, 6)),
        ("109", at(MONDAY, 6), at(MONDAY, 12)),  # a boundary is not its own next change
        ("109", at(MONDAY, 23), at(MONDAY + 1, 0)),
        ("400-100", at(MONDAY, 7), at(MONDAY, 8)),
        ("400-100", at(MONDAY, 20, 30), at(MONDAY + 1, 8)),
        ("1414", at(MONDAY, 22), at(MONDAY + 1, 9)),  # opening time
        ("1414", at(MONDAY, 16), at(MONDAY, 21)),  # closing time
    ],
)
def test_next_change(hotline_id: str, now: float, expected: float) -> None:
    assert next_change_s(hotline(hotline_id), now) == expected


def test_next_change_skips_days_without_shifts() -> None:
    mondays = with_shifts(
        [{"name": "mon", "days": ["mon"], "start": "09:00", "end": "17:00", "members": ["op1"]}]
    )
    assert next_change_s(mondays, at(MONDAY + 1, 12)) == at(MONDAY + 7, 9)


@pytest.mark.parametrize("hotline_id", ["1414", "109", "400-100"])
def test_every_queue_is_staffed_whenever_open(hotline_id: str) -> None:
    config = hotline(hotline_id)
    start = datetime(2026, 11, MONDAY, tzinfo=ALMATY)
    for step in range(7 * 24 * 4):  # a week in quarter hours
        instant = (start + timedelta(minutes=15 * step)).timestamp()
        if not is_open(config, instant):
            continue
        staff = on_shift(config, instant)
        for queue in config.queues:
            assert any(queue in config.queues_for(op) for op in staff), (queue.id, step)
        if hotline_id == "400-100":
            assert len(staff) >= 5


def test_holidays_close_the_hotline_for_the_day() -> None:
    closed_tuesday = with_shifts(
        [], hours="09:00-21:00", holidays=[datetime(2026, 11, MONDAY + 1).date()]
    )
    assert is_open(closed_tuesday, at(MONDAY, 10))
    assert not is_open(closed_tuesday, at(MONDAY + 1, 10))
    assert next_change_s(closed_tuesday, at(MONDAY, 22)) == at(MONDAY + 1, 9)  # may change
    always = with_shifts([], holidays=[datetime(2026, 11, MONDAY + 1).date()])
    assert is_open(always, at(MONDAY, 23, 59))
    assert not is_open(always, at(MONDAY + 1, 0))
    assert is_open(always, at(MONDAY + 2, 0))
    assert next_change_s(always, at(MONDAY, 12)) == at(MONDAY + 1, 0)


def test_holidays_load_from_yaml_dates(tmp_path: Path) -> None:
    path = tmp_path / "t1.yaml"
    path.write_text(VALID_YAML + "holidays: [2026-12-16, '2026-12-17']\n", encoding="utf-8")
    config = load_hotline(path)
    assert [str(day) for day in config.holidays] == ["2026-12-16", "2026-12-17"]

"""Erlang C staffing (hotline.staffing): the formula, a textbook case, the shift report."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from hotline.config import find_hotline, load_hotline
from hotline.metrics import HotlineMetrics
from hotline.shifts import shifts_on
from hotline.staffing import (
    ShiftStaffing,
    erlang_c,
    required_agents,
    service_level,
    shift_staffing,
)

ALMATY = ZoneInfo("Asia/Almaty")


def erlang_c_by_factorials(traffic: float, agents: int) -> float:
    """The textbook formula, for small cases."""
    top = traffic**agents / math.factorial(agents) * agents / (agents - traffic)
    bottom = sum(traffic**k / math.factorial(k) for k in range(agents)) + top
    return top / bottom


@given(st.floats(min_value=0.1, max_value=30.0), st.integers(min_value=1, max_value=60))
def test_the_stable_recurrence_agrees_with_the_textbook_formula(
    traffic: float, agents: int
) -> None:
    if agents <= traffic:
        assert erlang_c(traffic, agents) == 1.0
    else:
        assert erlang_c(traffic, agents) == pytest.approx(
            erlang_c_by_factorials(traffic, agents), rel=1e-9
        )


def test_the_textbook_case_needs_14_operators() -> None:
    # 100 calls in half an hour, 3 minutes each: 10 Erlangs. The usual worked example:
    # 14 operators, 17.4% of callers wait, 88.8% answered within 20 s; 13 miss 80/20.
    assert erlang_c(10.0, 14) == pytest.approx(0.1741, abs=1e-4)
    assert service_level(200, 180, 14, 20) == pytest.approx(0.8884, abs=1e-4)
    assert service_level(200, 180, 13, 20) < 0.8
    assert required_agents(200, 180, 20, 0.8, max_occupancy=1.0) == 14


def test_occupancy_caps_a_large_team_and_no_calls_need_nobody() -> None:
    # 1,000 calls an hour of 3 minutes is 50 Erlangs: 80/20 alone needs fewer than the
    # 59 that keep everyone under 85% busy.
    assert required_agents(1000, 180, 20, 0.8, max_occupancy=1.0) < 59
    assert required_agents(1000, 180, 20, 0.8, max_occupancy=0.85) == 59
    assert required_agents(0, 180, 20) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [((-1, 180, 20), "calls_per_hour"), ((10, 0, 20), "aht_s"), ((10, 180, 20, 1.0), "shares")],
)
def test_nonsense_is_refused(args: tuple[float, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        required_agents(*args)


def test_the_day_shift_of_400_100_is_reported_with_its_erlang_figure() -> None:
    config = load_hotline(find_hotline("400-100"))
    at = datetime(2026, 11, 23, 10, 0, tzinfo=ALMATY).timestamp()
    states = {"op01": "available", "op02": "on_call", "op03": "offline", "op06": "available"}

    [day] = shift_staffing(config, at, states)

    aht = sum(q.aht_s for q in config.queues) / len(config.queues)
    assert day == ShiftStaffing("day", 5, 2, required_agents(60, aht, config.service_level_s, 0.8))
    assert day.required is not None
    assert day.required > 0


def test_overlapping_shifts_are_all_on() -> None:
    config = load_hotline(find_hotline("400-100"))
    day, night = config.shifts
    late = day.model_copy(update={"end": "22:00"})
    overlapping = config.model_copy(update={"shifts": [late, night]})
    at = datetime(2026, 11, 23, 21, 0, tzinfo=ALMATY).timestamp()
    assert [s.name for s in shifts_on(overlapping, at)] == ["day", "night"]


def test_the_gauges_follow_the_shifts_on_now() -> None:
    registry = CollectorRegistry()
    metrics = HotlineMetrics(registry)

    def value(shift: str, kind: str) -> float | None:
        return registry.get_sample_value(
            "hotline_shift_operators", {"hotline": "400-100", "shift": shift, "kind": kind}
        )

    metrics.set_staffing("400-100", [ShiftStaffing("day", 5, 4, 7)])
    assert (value("day", "planned"), value("day", "logged_in"), value("day", "required")) == (
        5,
        4,
        7,
    )
    metrics.set_staffing("400-100", [ShiftStaffing("night", 5, 5, None)])
    assert value("day", "planned") is None  # the day shift is over: gone, not frozen
    assert value("night", "logged_in") == 5
    assert value("night", "required") is None

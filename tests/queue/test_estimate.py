"""The expected wait and the range a caller is told (pure, no Redis)."""

from __future__ import annotations

import doctest
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.queue import estimate
from hotline.queue.estimate import WaitRange, estimate_wait, expected_wait_s, wait_range


def test_docstring_examples() -> None:
    assert doctest.testmod(estimate).failed == 0


@pytest.mark.parametrize(
    ("ahead", "operators", "aht_s", "expected"),
    [
        (0, 1, 180, 180.0),  # next in line, one operator busy: about one call's length
        (1, 1, 180, 360.0),
        (3, 2, 90, 180.0),  # (3 + 1) x 90 / 2
        (9, 5, 60, 120.0),
        (0, 4, 120, 30.0),
    ],
)
def test_the_formula(ahead: int, operators: int, aht_s: float, expected: float) -> None:
    assert expected_wait_s(ahead, operators, aht_s) == pytest.approx(expected)


def test_nobody_on_shift_gives_no_number() -> None:
    assert expected_wait_s(0, 0, 180) is None
    assert estimate_wait(5, 0, 180) is None


@pytest.mark.parametrize(
    ("ahead", "operators", "aht_s"), [(-1, 1, 60), (0, -1, 60), (0, 1, 0), (0, 1, math.nan)]
)
def test_nonsense_is_refused(ahead: int, operators: int, aht_s: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        expected_wait_s(ahead, operators, aht_s)


@pytest.mark.parametrize(
    ("expected_s", "low_s", "high_s"),
    [
        (0, 0, 60),  # less than a minute
        (59.9, 0, 60),
        (60, 60, 120),  # 40..80 s: at least one minute, up to two
        (90, 60, 120),
        (180, 120, 240),  # "from 2 to 4 minutes"
        (300, 180, 420),
        (600, 360, 840),  # to the minute while the upper bound is at most 20 minutes
        (900, 600, 1200),
        (1200, 600, 1800),  # then to five minutes: 13.3..26.7 min is 10..30
        (2000, 1200, 2700),
        (3600, 2400, 7200),  # 40 min .. 80 min: the upper bound in whole hours
        (7200, 3600, 10800),  # 1 .. 3 hours
    ],
)
def test_the_range_rule(expected_s: float, low_s: int, high_s: int) -> None:
    assert wait_range(expected_s) == WaitRange(low_s, high_s)


def test_the_midpoint() -> None:
    assert WaitRange(120, 240).midpoint_s == 180.0
    assert WaitRange(0, 60).midpoint_s == 30.0
    assert WaitRange(0, 60).less_than_a_minute
    assert not WaitRange(60, 120).less_than_a_minute


def test_an_estimate_is_a_range() -> None:
    # One caller ahead, two operators on shift, a 3-minute AHT: about 3 minutes.
    assert estimate_wait(1, 2, 180) == WaitRange(120, 240)


@given(st.floats(min_value=0, max_value=100 * 3600, allow_nan=False))
def test_every_range_holds_the_estimate_in_sayable_units(expected_s: float) -> None:
    said = wait_range(expected_s)
    assert 0 <= said.low_s < said.high_s
    assert said.low_s <= expected_s <= said.high_s
    for bound in (said.low_s, said.high_s):
        unit = 3600 if bound >= 3600 else 60
        assert bound % unit == 0
    if expected_s >= 60:
        assert said.low_s >= 60

"""The expected wait of a queued caller, and the range a caller is told. Pure functions.

The estimate: with `ahead` callers before this one in its queue and `operators` operators on
shift now who serve the queue (logged in and not paused: available, ringing, on a call or in
wrap-up; see `hotline.queue.stats`), the caller is reached after about `ahead + 1` calls have
ended across those operators, each taking the queue's average handling time (AHT):

    expected = (ahead + 1) * aht_s / operators

It ignores calls of other queues that the same operators also take, arrivals of higher
priority and callers ahead who give up, so it is a rough figure: the caller hears it as a
range, never as one exact number. With no operator on shift there is no figure at all
(`estimate_wait` returns None) and the caller is told so.

The range rule (`wait_range`), for an expected wait E in seconds:

- E under 60 s: "less than a minute" (the range 0..60 s).
- Otherwise from 2/3 E (rounded down) to 4/3 E (rounded up), each bound in its own unit:
  below an hour in whole minutes (to the minute while the upper bound is at most 20 minutes,
  else to 5 minutes), from an hour on in whole hours. The lower bound is at least one minute
  and the upper bound always above the lower one. E = 3 min gives "from 2 to 4 minutes",
  E = 20 min "from 10 to 30 minutes", E = 60 min "from 40 minutes to 2 hours".

The prediction kept for measuring the error is the midpoint of the range said (30 s for
"less than a minute").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

MINUTE_S: Final = 60
HOUR_S: Final = 3600
#: The bounds of the range, as fractions of the expected wait.
LOW_FACTOR: Final = 2 / 3
HIGH_FACTOR: Final = 4 / 3
#: Up to this upper bound, minutes are counted one by one; above it, by fives.
FINE_MINUTES_UP_TO_S: Final = 20 * MINUTE_S
COARSE_MINUTES: Final = 5


@dataclass(frozen=True)
class WaitRange:
    """What a caller is told: from `low_s` to `high_s` seconds (whole minutes below an hour,
    whole hours from an hour on); `high_s` 60 with `low_s` 0 is "less than a minute"."""

    low_s: int
    high_s: int

    @property
    def less_than_a_minute(self) -> bool:
        return self.high_s <= MINUTE_S

    @property
    def midpoint_s(self) -> float:
        return (self.low_s + self.high_s) / 2


def expected_wait_s(ahead: int, operators: int, aht_s: float) -> float | None:
    """(ahead + 1) x AHT / operators; None when no operator is on shift.

    >>> expected_wait_s(ahead=1, operators=1, aht_s=90)
    180.0
    >>> expected_wait_s(ahead=3, operators=0, aht_s=90) is None
    True
    """
    if ahead < 0 or operators < 0:
        raise ValueError(f"counts must be >= 0, not ahead={ahead} operators={operators}")
    if not math.isfinite(aht_s) or aht_s <= 0:
        raise ValueError(f"the AHT must be a positive number of seconds, not {aht_s!r}")
    if operators == 0:
        return None
    return (ahead + 1) * aht_s / operators


def wait_range(expected_s: float) -> WaitRange:
    """The range said for an expected wait (see the module doc for the rule).

    >>> wait_range(180)
    WaitRange(low_s=120, high_s=240)
    >>> wait_range(45)
    WaitRange(low_s=0, high_s=60)
    >>> wait_range(3600)
    WaitRange(low_s=2400, high_s=7200)
    """
    if not math.isfinite(expected_s) or expected_s < 0:
        raise ValueError(f"an expected wait must be finite seconds >= 0, not {expected_s!r}")
    if expected_s < MINUTE_S:
        return WaitRange(0, MINUTE_S)
    raw_low, raw_high = expected_s * LOW_FACTOR, expected_s * HIGH_FACTOR
    minute_step = 1 if raw_high <= FINE_MINUTES_UP_TO_S else COARSE_MINUTES
    low = max(MINUTE_S, _round(raw_low, minute_step, math.floor))
    high = _round(raw_high, minute_step, math.ceil)
    if high <= low:
        high = low + (HOUR_S if low >= HOUR_S else minute_step * MINUTE_S)
    return WaitRange(low, high)


def estimate_wait(ahead: int, operators: int, aht_s: float) -> WaitRange | None:
    """The range to say, or None when nobody is on shift to serve the queue.

    >>> estimate_wait(ahead=1, operators=2, aht_s=180)
    WaitRange(low_s=120, high_s=240)
    """
    expected = expected_wait_s(ahead, operators, aht_s)
    return None if expected is None else wait_range(expected)


def _round(seconds: float, minute_step: int, rounding: Callable[[float], int]) -> int:
    """`seconds` rounded by `rounding` (floor or ceil): to `minute_step` minutes below an
    hour, to whole hours from an hour on."""
    if seconds >= HOUR_S:
        return rounding(seconds / HOUR_S) * HOUR_S
    step_s = minute_step * MINUTE_S
    # Rounding up may reach a whole hour: that is said as "one hour".
    return rounding(seconds / step_s) * step_s

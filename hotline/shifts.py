"""Who is on duty, and whether the hotline is open, at a given instant (pure, time zone aware).

Shift and opening times are local wall-clock times in the hotline's `timezone`. A shift
whose end is at or before its start crosses midnight and belongs to the day it started: a
"fri 20:00-08:00" shift covers Saturday 03:00, and a Saturday entry is not needed for that.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hotline.config.schema import HotlineConfig, OperatorConfig, ShiftConfig
from hotline.config.types import WEEKDAYS

# How far ahead next_change_s looks: a week covers every weekly pattern, plus a day of slack.
_LOOKAHEAD_DAYS = 8


def on_shift(config: HotlineConfig, at_epoch_s: float) -> list[OperatorConfig]:
    """The operators on duty at `at_epoch_s`, in the config's order.

    A hotline without shifts has every operator on duty at all times.
    """
    if not config.shifts:
        return list(config.operators)
    on_duty = {member for shift in shifts_on(config, at_epoch_s) for member in shift.members}
    return [operator for operator in config.operators if operator.id in on_duty]


def shifts_on(config: HotlineConfig, at_epoch_s: float) -> list[ShiftConfig]:
    """The shifts running at `at_epoch_s` (overlapping shifts all count), in config order."""
    tz = ZoneInfo(config.timezone)
    today = _local_date(at_epoch_s, tz)
    running: list[ShiftConfig] = []
    for shift in config.shifts:
        # Only yesterday's shift can still run today: a shift lasts at most 24 hours.
        for day in (today - timedelta(days=1), today):
            start, end = _shift_window(shift, day, tz)
            if _works_on(shift, day) and start <= at_epoch_s < end:
                running.append(shift)
                break
    return running


def is_open(config: HotlineConfig, at_epoch_s: float) -> bool:
    """Whether `at_epoch_s` is within the opening hours ("24/7": always) and not a holiday.

    A holiday closes the opening window that starts on that local date.
    """
    if config.opening_minutes is None and not config.holidays:
        return True
    opens_minute, closes_minute = config.opening_window
    tz = ZoneInfo(config.timezone)
    today = _local_date(at_epoch_s, tz)
    for day in (today - timedelta(days=1), today):
        if day in config.holidays:
            continue
        if _local_ts(day, opens_minute, tz) <= at_epoch_s < _local_ts(day, closes_minute, tz):
            return True
    return False


def next_change_s(config: HotlineConfig, at_epoch_s: float) -> float:
    """The first instant after `at_epoch_s` at which `on_shift` or `is_open` may change.

    The controller sleeps until then. `math.inf` when nothing ever changes (24/7, no shifts).
    """
    boundaries = [b for b in _boundaries(config, at_epoch_s) if b > at_epoch_s]
    return min(boundaries, default=math.inf)


def _boundaries(config: HotlineConfig, at_epoch_s: float) -> Iterator[float]:
    tz = ZoneInfo(config.timezone)
    today = _local_date(at_epoch_s, tz)
    days = [today + timedelta(days=offset) for offset in range(-1, _LOOKAHEAD_DAYS)]
    for day in days:
        for shift in config.shifts:
            if _works_on(shift, day):
                yield from _shift_window(shift, day, tz)
        if config.opening_minutes is not None or config.holidays:
            opens_minute, closes_minute = config.opening_window
            yield _local_ts(day, opens_minute, tz)
            yield _local_ts(day, closes_minute, tz)


def _works_on(shift: ShiftConfig, day: date) -> bool:
    return WEEKDAYS[day.weekday()] in shift.days


def _shift_window(shift: ShiftConfig, day: date, tz: ZoneInfo) -> tuple[float, float]:
    """[start, end) in epoch seconds of the shift that starts on local `day`."""
    return _local_ts(day, shift.start_minute, tz), _local_ts(day, shift.end_minute, tz)


def _local_date(at_epoch_s: float, tz: ZoneInfo) -> date:
    return datetime.fromtimestamp(at_epoch_s, tz).date()


def _local_ts(day: date, minute_of_day: int, tz: ZoneInfo) -> float:
    # Wall-clock arithmetic (aware datetime + timedelta keeps the wall time), then the zone's
    # offset at that wall time: right across offset changes such as Almaty's 2024 move to +5.
    midnight = datetime.combine(day, time(), tzinfo=tz)
    return (midnight + timedelta(minutes=minute_of_day)).timestamp()

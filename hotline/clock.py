"""The injected clock: every timed decision in the controller and the simulator asks it.

A simulated hour can run in a minute: `ScaledClock(speed=60)` makes `now()` advance 60
simulated seconds per real second and `sleep(60)` return after one real second. Nothing in
the core calls `time.time()` or `asyncio.sleep` directly, so one object sets the pace of a
whole run.

Two kinds of timed wait, kept apart on purpose:
- the pace of the simulated world (`sleep`, `wait_for`): a caller's patience, a ring timeout,
  the dispatcher's tick. They scale with the speed, however small that makes them;
- deadlines (`deadline`): a bound on something that should simply happen (an AMI reply, a
  login, the last records being written). A deadline of a few simulated seconds at speed 300
  is a few real milliseconds, which one scheduling hiccup of a loaded machine exceeds; so a
  deadline never lasts less than `deadline_floor_s` real seconds (or its own length, if that
  is shorter). At speed 1 both kinds are plain `asyncio` waits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from datetime import datetime
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

T = TypeVar("T")


class Clock(Protocol):
    """Time as the controller sees it: UNIX epoch seconds, possibly simulated."""

    @property
    def speed(self) -> float: ...

    def now(self) -> float:
        """The current time, in (simulated) epoch seconds."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of (simulated) time."""
        ...

    async def wait_for(self, awaitable: Awaitable[T], timeout_s: float) -> T:
        """Like `asyncio.wait_for`, with the timeout in (simulated) seconds: part of the
        simulated pace (a ring timeout, a tick), never a guard against a hang."""
        ...

    async def deadline(self, awaitable: Awaitable[T], timeout_s: float) -> T:
        """`awaitable`, or TimeoutError after `timeout_s` (simulated) seconds but never
        before a real-time floor: for bounds on what should just happen (a reply)."""
        ...


# Real seconds a deadline lasts at least (see the module docstring).
DEADLINE_FLOOR_S = 2.0


class ScaledClock:
    """Real time multiplied by `speed`, starting at `start` (default: the real now).

    speed=1 is the production clock. `deadline_floor_s`: see the module docstring.
    """

    def __init__(
        self,
        speed: float = 1.0,
        start: float | None = None,
        deadline_floor_s: float = DEADLINE_FLOOR_S,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"clock speed must be positive, got {speed}")
        self._speed = speed
        self._deadline_floor_s = max(0.0, deadline_floor_s)
        self._t0 = time.monotonic()
        self._start = time.time() if start is None else start

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> float:
        return self._start + (time.monotonic() - self._t0) * self._speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self._speed)

    async def wait_for(self, awaitable: Awaitable[T], timeout_s: float) -> T:
        return await asyncio.wait_for(awaitable, max(0.0, timeout_s) / self._speed)

    def deadline_real_s(self, timeout_s: float) -> float:
        """The real seconds a `deadline` of `timeout_s` clock seconds lasts."""
        timeout_s = max(0.0, timeout_s)
        return max(timeout_s / self._speed, min(timeout_s, self._deadline_floor_s))

    async def deadline(self, awaitable: Awaitable[T], timeout_s: float) -> T:
        return await asyncio.wait_for(awaitable, self.deadline_real_s(timeout_s))


def real_clock() -> ScaledClock:
    """The wall clock, at speed 1."""
    return ScaledClock(1.0)


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 date and time (`2026-12-07T10:00`, `2026-12-07 22:30+05:00`); without an
    offset it is naive, for the caller to place in a time zone (`at_epoch_s`)."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO date and time (e.g. 2026-12-07T10:00 or "
            "2026-12-07T10:00+05:00)"
        ) from None


def at_epoch_s(moment: datetime, timezone: str) -> float:
    """`moment` in epoch seconds; a naive one is local time in `timezone` (IANA name)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.timestamp()

"""The injected clock: every timed decision in the controller and the simulator asks it.

A simulated hour can run in a minute: `ScaledClock(speed=60)` makes `now()` advance 60
simulated seconds per real second and `sleep(60)` return after one real second. Nothing in
the core calls `time.time()` or `asyncio.sleep` directly, so one object sets the pace of a
whole run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Protocol, TypeVar

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
        """Like `asyncio.wait_for`, with the timeout in (simulated) seconds."""
        ...


class ScaledClock:
    """Real time multiplied by `speed`, starting at `start` (default: the real now).

    speed=1 is the production clock.
    """

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        if speed <= 0:
            raise ValueError(f"clock speed must be positive, got {speed}")
        self._speed = speed
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


def real_clock() -> ScaledClock:
    """The wall clock, at speed 1."""
    return ScaledClock(1.0)

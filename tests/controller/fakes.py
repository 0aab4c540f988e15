"""A clock the test moves by hand (hotline.clock.Clock)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class FakeClock:
    """`now()` is what the test set; `sleep` moves it on at once; `wait_for` bounds in real
    seconds (at most one second: a fake clock's waits are never long)."""

    def __init__(self, start: float) -> None:
        self._now = start

    @property
    def speed(self) -> float:
        return 1.0

    def now(self) -> float:
        return self._now

    def set(self, at: float) -> None:
        self._now = at

    def advance(self, seconds: float) -> None:
        self._now += seconds

    async def sleep(self, seconds: float) -> None:
        self._now += max(0.0, seconds)
        await asyncio.sleep(0)

    async def wait_for(self, awaitable: Awaitable[T], timeout_s: float) -> T:
        return await asyncio.wait_for(awaitable, min(timeout_s, 1.0))

    async def deadline(self, awaitable: Awaitable[T], timeout_s: float) -> T:
        return await asyncio.wait_for(awaitable, min(timeout_s, 1.0))

"""The dispatcher's loop keeps distributing calls through Redis failures and retries a resync
that failed, without sockets: fakes for the ACD and AMI, the real Dispatcher."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import redis.exceptions

from hotline.controller.dispatcher import Dispatcher
from hotline.controller.tracker import CallTracker
from hotline.records import CallRecord

from .conftest import hotline_400_100
from .fakes import FakeClock


class FlakyAcd:
    """assign() fails with a Redis error on its first call, then finds nothing to match."""

    def __init__(self) -> None:
        self.assign_calls = 0
        self.second_assign = asyncio.Event()

    async def assign(
        self, at: float, strategy: str = "longest_idle", tier_delay_s: float = 30.0
    ) -> None:
        self.assign_calls += 1
        if self.assign_calls == 1:
            raise redis.exceptions.ConnectionError("Redis went away")
        self.second_assign.set()

    async def operator_states(self) -> dict[str, str]:
        return {}  # nobody logged in: no call-back in progress to take over at the resync


class FakeAmi:
    disconnected_at: float | None = None

    def __init__(self, resync_failures: int) -> None:
        self.reconnect_callbacks: list[Callable[[], Any]] = []
        self.listings = 0
        self._failures = resync_failures
        self.listed = asyncio.Event()

    def on_event(self, name: str, callback: Callable[..., Any]) -> None:
        pass

    def on_reconnect(self, callback: Callable[[], Any]) -> None:
        self.reconnect_callbacks.append(callback)

    async def core_show_channels(self) -> list[Any]:
        self.listings += 1
        if self.listings <= self._failures:
            raise TimeoutError("CoreShowChannels got no answer")
        self.listed.set()
        return []


async def _no_sink(record: CallRecord) -> None:
    raise AssertionError(f"no record expected, got {record}")


async def test_a_redis_error_does_not_stop_distribution() -> None:
    clock = FakeClock(1_800_000_000.0)
    hotline = hotline_400_100()
    acd = FlakyAcd()
    ami = FakeAmi(resync_failures=0)
    tracker = CallTracker(clock, _no_sink)
    dispatcher = Dispatcher({hotline.id: hotline}, {hotline.id: acd}, ami, tracker, clock)  # type: ignore[dict-item, arg-type]
    dispatcher.start()
    try:
        dispatcher.wake()
        await asyncio.wait_for(acd.second_assign.wait(), 5)
        assert acd.assign_calls >= 2
    finally:
        await dispatcher.stop()


async def test_a_failed_resync_is_tried_again() -> None:
    clock = FakeClock(1_800_000_000.0)
    hotline = hotline_400_100()
    acd = FlakyAcd()
    ami = FakeAmi(resync_failures=2)
    tracker = CallTracker(clock, _no_sink)
    dispatcher = Dispatcher({hotline.id: hotline}, {hotline.id: acd}, ami, tracker, clock)  # type: ignore[dict-item, arg-type]
    dispatcher.start()
    try:
        for callback in ami.reconnect_callbacks:
            callback()
        await asyncio.wait_for(ami.listed.wait(), 5)
        assert ami.listings == 3
    finally:
        await dispatcher.stop()

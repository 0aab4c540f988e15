"""hotline.web.pin_guard without HTTP, on a real Redis: lockouts, their growth, forgetting,
two controllers sharing one count, and counters that expire when idle."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from hotline.queue.keys import AcdKeys, pin_failures_of_address
from hotline.web.pin_guard import PinGuard, PinGuardSettings
from tests.controller.fakes import FakeClock

OP = ("400-100", "op01")
FEW = PinGuardSettings(operator_failures=3, lockout_s=10)


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


async def test_failures_lock_out_then_grow_and_are_forgotten_after_a_quiet_hour(
    client: redis.Redis,
) -> None:
    clock = FakeClock(1_000.0)
    guard = PinGuard(client, clock, FEW)
    assert [await guard.failed("a", OP) for _ in range(3)] == [1, 2, 3]
    assert await guard.retry_after_s("a", OP) == 10
    assert await guard.retry_after_s("b", OP) == 10  # the operator, from any address
    assert await guard.retry_after_s("b", ("400-100", "op02")) is None
    clock.advance(10)
    assert await guard.retry_after_s("a", OP) is None
    for _ in range(3):
        await guard.failed("a", OP)
    assert await guard.retry_after_s("a", OP) == 20
    clock.advance(20 + 3601)
    for _ in range(3):
        await guard.failed("a", OP)
    assert await guard.retry_after_s("a", OP) == 10  # an hour without failure: the start


async def test_two_controllers_share_one_count(client: redis.Redis) -> None:
    clock = FakeClock(1_000.0)
    first, second = PinGuard(client, clock, FEW), PinGuard(client, clock, FEW)
    await first.failed("a", OP)
    await second.failed("b", OP)
    assert await first.retry_after_s("a", OP) is None
    await first.failed("c", OP)
    assert await second.retry_after_s("d", OP) == 10
    await second.succeeded(OP)
    assert await client.exists(AcdKeys("400-100").pin_failures("op01")) == 0


async def test_the_counters_expire_when_idle(client: redis.Redis) -> None:
    guard = PinGuard(client, FakeClock(1_000.0))
    await guard.failed("192.0.2.1", OP)
    for key in (pin_failures_of_address("192.0.2.1"), AcdKeys("400-100").pin_failures("op01")):
        assert 0 < await client.ttl(key) <= 7200

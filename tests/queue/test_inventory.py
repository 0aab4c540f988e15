"""CallInventory against a real Redis: every call in progress, and only those, as the ACD's
scripts left them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from hotline.queue import Acd
from hotline.queue.inventory import CallInventory

HOTLINE = "400-100"
T0 = 1_795_316_000.0


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)  # bytes, as the controller's client
    yield client
    await client.aclose()


async def enqueue(acd: Acd, call_id: str, at: float, priority: int = 0) -> None:
    await acd.enqueue(
        call_id, "pay-kk", priority, at, f"PJSIP/trunk-{call_id}", f"u-{call_id}", "kk", "pay"
    )


async def test_waiting_offered_and_talking_calls_are_listed_the_finished_not(
    redis_client: aioredis.Redis,
) -> None:
    acd = Acd(redis_client, HOTLINE)
    await acd.operator_login("op01", ["pay-kk"], T0)
    await acd.operator_login("op02", ["pay-kk"], T0 + 1)
    for n, call_id in enumerate(["talks", "rings", "late", "early", "left", "over"]):
        await enqueue(acd, call_id, T0 + 10 + n)
    talks = await acd.assign(T0 + 20)
    rings = await acd.assign(T0 + 21)
    assert talks is not None
    assert rings is not None
    assert (talks.call_id, rings.call_id) == ("talks", "rings")
    await acd.answered("talks", talks.operator_id, T0 + 22)
    await acd.cancel("left", T0 + 23)
    await acd.cancel("over", T0 + 24)
    await enqueue(acd, "urgent", T0 + 30, priority=5)  # came last, served first

    calls = await CallInventory(redis_client, HOTLINE).in_progress()

    assert [(c.call_id, c.state, c.operator_id) for c in calls] == [
        ("urgent", "waiting", None),
        ("late", "waiting", None),
        ("early", "waiting", None),
        ("talks", "talking", "op01"),
        ("rings", "offered", "op02"),
    ]
    talking = calls[3]
    assert (talking.uniqueid, talking.channel, talking.queue_id) == (
        "u-talks",
        "PJSIP/trunk-talks",
        "pay-kk",
    )
    assert (talking.language, talking.topic) == ("kk", "pay")
    assert (talking.arrived_at_s, talking.answered_at_s) == (T0 + 10, T0 + 22)


async def test_an_empty_hotline_has_no_calls(redis_client: aioredis.Redis) -> None:
    assert await CallInventory(redis_client, HOTLINE).in_progress() == []

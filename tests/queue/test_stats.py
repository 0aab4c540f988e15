"""Who serves a queue now (`queue_staffing`) against a real redis-server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from hotline.queue import Acd, AcdKeys
from hotline.queue.stats import QueueStaffing, queue_staffing

pytestmark = pytest.mark.redis

HOTLINE = "400-100"
KEYS = AcdKeys(HOTLINE)


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def put_operator(client: aioredis.Redis, op_id: str, **fields: str) -> None:
    await client.sadd(KEYS.operators, op_id)
    await client.hset(KEYS.operator(op_id), mapping=fields)


async def test_counts_logged_in_unpaused_operators_of_the_queue(
    redis_client: aioredis.Redis,
) -> None:
    for op_id, state in [
        ("a", "available"),
        ("b", "ringing"),
        ("c", "on_call"),
        ("d", "wrap_up"),
        ("e", "paused"),
        ("f", "offline"),
    ]:
        await put_operator(redis_client, op_id, state=state, queues="pay-kk,other-kk")
    await put_operator(redis_client, "g", state="available", queues="pay-ru")  # another queue
    # Busy, but leaving or pausing after this call: will not take the next one.
    await put_operator(redis_client, "h", state="on_call", queues="pay-kk", logout_pending="1")
    await put_operator(redis_client, "i", state="on_call", queues="pay-kk", pause_pending="lunch")
    await put_operator(redis_client, "j", state="on_call", queues="pay-kk", logout_pending="0")
    await redis_client.sadd(KEYS.operators, "gone")  # in the set, hash expired or deleted

    assert await queue_staffing(redis_client, KEYS, "pay-kk") == QueueStaffing(5, 1)
    assert await queue_staffing(redis_client, KEYS, "pay-ru") == QueueStaffing(1, 1)
    assert await queue_staffing(redis_client, KEYS, "checkpoints-kk") == QueueStaffing(0, 0)


async def test_a_queue_id_must_match_whole(redis_client: aioredis.Redis) -> None:
    await put_operator(redis_client, "a", state="available", queues="pay-kk-old,xpay-kk")
    assert await queue_staffing(redis_client, KEYS, "pay-kk") == QueueStaffing(0, 0)


async def test_no_operator_ever_logged_in(redis_client: aioredis.Redis) -> None:
    assert await queue_staffing(redis_client, KEYS, "pay-kk") == QueueStaffing(0, 0)


async def test_reads_what_the_acd_writes(redis_client: aioredis.Redis) -> None:
    acd = Acd(redis_client, HOTLINE)
    await acd.operator_login("op1", ["pay-kk", "pay-ru"], 100.0)
    await acd.operator_login("op2", ["pay-kk"], 101.0)
    await acd.operator_login("op3", ["pay-ru"], 102.0)
    await acd.operator_logout("op3")
    await acd.enqueue("c1", "pay-kk", 0, 110.0, "PJSIP/trunk-1", "u-1", "kk", "pay")
    assignment = await acd.assign(111.0)
    assert assignment is not None  # one of op1/op2 now rings

    assert await queue_staffing(redis_client, KEYS, "pay-kk") == QueueStaffing(2, 1)
    ru = await queue_staffing(redis_client, KEYS, "pay-ru")
    assert ru.on_shift == 1  # op1 (op3 logged out)

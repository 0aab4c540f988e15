"""Overflow into a wider queue (`Acd.move`): the caller keeps their place by original arrival."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from hotline.queue import Acd

pytestmark = pytest.mark.redis


@pytest.fixture
async def acd(redis_url: str) -> AsyncIterator[Acd]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield Acd(client, "400-100")
    await client.aclose()


async def enqueue(acd: Acd, call_id: str, at: float, queue_id: str) -> int:
    return await acd.enqueue(call_id, queue_id, 0, at, f"ch-{call_id}", f"u-{call_id}", "kk", "pay")


async def test_a_moved_caller_goes_before_later_callers_of_the_wider_queue(acd: Acd) -> None:
    await enqueue(acd, "early", 100.0, "narrow")
    await enqueue(acd, "later", 200.0, "wide")

    assert await acd.move("early", "wide") == "wide"

    assert await acd.position("early") == 1
    assert await acd.position("later") == 2
    assert await acd.waiting_count("narrow") == 0
    early = await acd.call("early")
    assert early is not None
    assert (early["queue_id"], early["overflowed_from"]) == ("wide", "narrow")
    # An operator of the wider queue takes the moved caller first.
    await acd.operator_login("op1", ["wide"], 10.0)
    offered = await acd.assign(300.0)
    assert offered is not None
    assert (offered.call_id, offered.queue_id) == ("early", "wide")


async def test_only_a_waiting_call_moves_and_a_repeat_changes_nothing(acd: Acd) -> None:
    await enqueue(acd, "c1", 100.0, "narrow")
    assert await acd.move("c1", "wide") == "wide"
    assert await acd.move("c1", "wide") == "wide"
    assert await acd.waiting_count() == 1

    await acd.operator_login("op1", ["wide"], 10.0)
    assert await acd.assign(150.0) is not None
    # Offered now: a late move leaves it with its operator.
    assert await acd.move("c1", "other") == "wide"
    assert await acd.move("nobody", "wide") is None

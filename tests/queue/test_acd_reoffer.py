"""An operator who let a caller ring out (or did not take the call) is not offered that
caller again for a while; other operators may take the caller, and that operator other
callers, at once. Against a real redis-server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from hotline.queue import Acd, InvalidAcdRequestError

pytestmark = pytest.mark.redis

HOTLINE = "400-100"
AFTER_S = 60.0


@pytest.fixture
async def acd(redis_url: str) -> AsyncIterator[Acd]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield Acd(client, HOTLINE)
    await client.aclose()


async def enqueue(acd: Acd, call_id: str, at: float) -> None:
    await acd.enqueue(call_id, "social", 0, at, f"PJSIP/trunk-{call_id}", f"u-{call_id}", "kk", "p")


async def missed(acd: Acd, at: float, reoffer_after_s: float = AFTER_S) -> str:
    """Offer the best call at `at` and let it ring out; the operator it went to."""
    offered = await acd.assign(at)
    assert offered is not None
    await acd.ring_no_answer(offered.call_id, offered.operator_id, at + 20, 0, reoffer_after_s)
    return offered.operator_id


async def test_the_same_operator_gets_the_caller_again_only_after_the_time(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await enqueue(acd, "c1", 100.0)
    assert await missed(acd, 110.0) == "op1"  # rang out at 130

    assert await acd.assign(131.0) is None
    assert await acd.assign(189.9) is None
    assert await acd.next_reoffer_at() == pytest.approx(190.0)
    again = await acd.assign(190.0)
    assert again is not None
    assert (again.call_id, again.operator_id) == ("c1", "op1")
    assert await acd.next_reoffer_at() is None  # the spent entry is gone


async def test_another_operator_takes_the_caller_at_once(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await acd.operator_login("op2", ["social"], 20.0)  # idle for less long: offered second
    await enqueue(acd, "c1", 100.0)
    assert await missed(acd, 110.0) == "op1"

    other = await acd.assign(131.0)
    assert other is not None
    assert (other.call_id, other.operator_id) == ("c1", "op2")


async def test_the_operator_takes_the_next_caller_meanwhile(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await enqueue(acd, "c1", 100.0)
    await enqueue(acd, "c2", 105.0)
    assert await missed(acd, 110.0) == "op1"

    # c1 keeps its place at the head, but op1 may not have it yet: c2 goes to op1
    assert await acd.position("c1") == 1
    next_one = await acd.assign(131.0)
    assert next_one is not None
    assert (next_one.call_id, next_one.operator_id) == ("c2", "op1")


async def test_zero_means_at_once_and_a_negative_time_is_refused(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await enqueue(acd, "c1", 100.0)
    assert await missed(acd, 110.0, reoffer_after_s=0.0) == "op1"
    again = await acd.assign(131.0)
    assert again is not None
    assert again.operator_id == "op1"
    with pytest.raises(InvalidAcdRequestError):
        await acd.ring_no_answer("c1", "op1", 140.0, 0, -1.0)

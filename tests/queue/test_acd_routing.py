"""Routing strategies, skill tiers and the maximum queue length, against a real redis-server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from hotline.queue import Acd, InvalidAcdRequestError, QueueFullError

pytestmark = pytest.mark.redis


@pytest.fixture
async def acd(redis_url: str) -> AsyncIterator[Acd]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield Acd(client, "400-100")
    await client.aclose()


async def enqueue(acd: Acd, call_id: str, at: float, topic: str = "pay", **kw: int) -> int:
    return await acd.enqueue(call_id, "social", 0, at, "ch", "u", "kk", topic, **kw)


async def serve(acd: Acd, call_id: str, at: float, strategy: str) -> str:
    """Enqueue, assign (returning the operator), answer and complete with no wrap-up."""
    await enqueue(acd, call_id, at)
    offered = await acd.assign(at, strategy)
    assert offered is not None
    assert offered.call_id == call_id
    await acd.answered(call_id, offered.operator_id, at)
    await acd.complete(call_id, at + 1)
    return offered.operator_id


async def test_fewest_calls_prefers_the_least_busy_then_the_longest_idle(acd: Acd) -> None:
    await acd.operator_login("op-a", ["social"], 10.0)
    await acd.operator_login("op-b", ["social"], 20.0)
    assert await serve(acd, "c1", 100.0, "fewest_calls") == "op-a"  # both 0: longest idle
    # op-a is idle since 101, op-b since 20: op-b has fewer calls and waited longer anyway.
    assert await serve(acd, "c2", 200.0, "fewest_calls") == "op-b"
    await acd.operator_login("op-c", ["social"], 5.0)  # idle longest, no calls
    assert await serve(acd, "c3", 300.0, "fewest_calls") == "op-c"
    # All have taken one: the longest idle now is op-a (since 101).
    assert await serve(acd, "c4", 400.0, "fewest_calls") == "op-a"
    assert await serve(acd, "c5", 500.0, "longest_idle") == "op-b"  # idle since 201


async def test_round_robin_goes_round_by_operator_id(acd: Acd) -> None:
    for op_id, at in (("op-b", 10.0), ("op-c", 5.0), ("op-a", 20.0)):
        await acd.operator_login(op_id, ["social"], at)

    served = [await serve(acd, f"c{i}", 100.0 + i * 10, "round_robin") for i in range(4)]

    assert served == ["op-a", "op-b", "op-c", "op-a"]


async def test_random_is_a_deterministic_pick_per_call(acd: Acd) -> None:
    for op_id in ("op-a", "op-b", "op-c"):
        await acd.operator_login(op_id, ["social"], 10.0)
    picks = set()
    for i in range(12):
        picks.add(await serve(acd, f"call-{i}", 100.0 + i * 10, "random"))
    assert len(picks) > 1  # spread over the operators


async def test_a_higher_level_operator_is_offered_a_call_only_after_its_tier_delay(
    acd: Acd,
) -> None:
    await acd.operator_login("senior", ["social"], 10.0, levels={"pay": 2})
    await enqueue(acd, "c1", 100.0)

    assert await acd.assign(129.0, tier_delay_s=30) is None  # waited 29 s
    assert await acd.position("c1") == 1  # keeps the place
    await acd.operator_login("junior", ["social"], 50.0)  # level 1 (the default)
    first = await acd.assign(129.5, tier_delay_s=30)
    assert first is not None
    assert first.operator_id == "junior"

    await enqueue(acd, "c2", 200.0)
    assert await acd.assign(229.0, tier_delay_s=30) is None
    second = await acd.assign(230.0, tier_delay_s=30)
    assert second is not None
    assert (second.call_id, second.operator_id) == ("c2", "senior")


async def test_levels_are_per_topic_and_zero_delay_disables_tiers(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0, levels={"pay": 3, "checkpoint": 1})
    await enqueue(acd, "pay-call", 100.0, topic="pay")
    await enqueue(acd, "cp-call", 101.0, topic="checkpoint")

    offered = await acd.assign(102.0, tier_delay_s=30)  # the pay call is first but level 3
    assert offered is not None
    assert offered.call_id == "cp-call"
    await acd.ring_no_answer("cp-call", "op1", 103.0)
    await acd.cancel("cp-call", 103.0)
    offered = await acd.assign(104.0, tier_delay_s=0)
    assert offered is not None
    assert offered.call_id == "pay-call"


async def test_a_full_queue_refuses_new_callers_but_not_retries(acd: Acd) -> None:
    assert await enqueue(acd, "c1", 100.0, max_waiting=2) == 1
    assert await enqueue(acd, "c2", 101.0, max_waiting=2) == 2

    with pytest.raises(QueueFullError, match="social"):
        await enqueue(acd, "c3", 102.0, max_waiting=2)
    assert await acd.call("c3") is None  # nothing stored
    assert await enqueue(acd, "c2", 101.0, max_waiting=2) == 2  # a retry is never refused
    assert await enqueue(acd, "c3", 102.0) == 3  # no limit
    await acd.cancel("c1", 103.0)
    await acd.cancel("c2", 103.0)
    assert await enqueue(acd, "c4", 104.0, max_waiting=2) == 2
    with pytest.raises(QueueFullError):
        await enqueue(acd, "c5", 105.0, max_waiting=0)


async def test_bad_routing_requests_are_refused(acd: Acd) -> None:
    with pytest.raises(InvalidAcdRequestError, match="strategy"):
        await acd.assign(100.0, strategy="best")
    with pytest.raises(InvalidAcdRequestError, match="level"):
        await acd.operator_login("op1", ["social"], 10.0, levels={"pay": 4})
    with pytest.raises(InvalidAcdRequestError, match="max_waiting"):
        await enqueue(acd, "c1", 100.0, max_waiting=-1)
    with pytest.raises(InvalidAcdRequestError, match="wrap_up_s"):
        await acd.complete("c1", 100.0, wrap_up_s=-1.0)

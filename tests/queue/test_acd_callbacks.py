"""Call-back requests as ACD entries (kind `callback`), against a real redis-server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from hotline.queue import Acd, InvalidAcdRequestError
from hotline.queue.acd import queue_score
from hotline.queue.callbacks import callback_entry_id, move_legacy_requests

pytestmark = pytest.mark.redis


@pytest.fixture
async def acd(redis_url: str) -> AsyncIterator[Acd]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield Acd(client, "400-100")
    await client.aclose()


async def callback(acd: Acd, entry_id: str, arrived_at: float, requested_at: float) -> bool:
    return await acd.enqueue_callback(
        entry_id, "social", 0, arrived_at, "+77010000001", "kk", "pay", requested_at
    )


async def test_a_call_back_keeps_the_callers_original_place(acd: Acd) -> None:
    await acd.enqueue("c-later", "social", 0, 150.0, "ch", "u", "kk", "pay")
    assert await callback(acd, "cb-c1", 100.0, 200.0) is True
    assert await callback(acd, "cb-c1", 100.0, 201.0) is False  # a retry
    assert await acd.position("cb-c1") == 1
    await acd.operator_login("op1", ["social"], 10.0)

    offered = await acd.assign(210.0)

    assert offered is not None
    assert (offered.call_id, offered.kind, offered.number) == ("cb-c1", "callback", "+77010000001")
    assert offered.channel == ""
    assert offered.waited_s == pytest.approx(110.0)
    await acd.operator_login("op2", ["social"], 20.0)
    plain = await acd.assign(211.0)
    assert plain is not None
    assert (plain.call_id, plain.kind, plain.number) == ("c-later", "call", "")


async def test_an_unanswered_call_back_waits_for_its_retry_then_fails(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await callback(acd, "cb-c1", 100.0, 200.0)
    assert await acd.assign(210.0) is not None

    assert await acd.callback_no_answer("cb-c1", "op1", 220.0, 60.0, 2) == "waiting"
    assert await acd.callback_no_answer("cb-c1", "op1", 221.0, 60.0, 2) == "waiting"  # repeat

    op = await acd.operator("op1")
    assert op is not None
    assert (op["state"], op["misses"]) == ("available", "0")
    await acd.enqueue("c2", "social", 0, 230.0, "ch", "u", "kk", "pay")
    offered = await acd.assign(250.0)  # the call-back is not due before 280: c2 goes first
    assert offered is not None
    assert offered.call_id == "c2"
    await acd.ring_no_answer("c2", "op1", 255.0)
    await acd.cancel("c2", 255.0)
    assert await acd.assign(279.0) is None
    again = await acd.assign(280.0)
    assert again is not None
    assert again.call_id == "cb-c1"

    assert await acd.callback_no_answer("cb-c1", "op1", 290.0, 60.0, 2) == "callback_failed"
    entry = await acd.call("cb-c1")
    assert entry is not None
    assert (entry["attempts"], entry["ended_at_s"]) == ("2", "290.0")
    assert await acd.waiting_count() == 0


async def test_an_answered_call_back_is_talking_then_done(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await callback(acd, "cb-c1", 100.0, 200.0)
    assert await acd.assign(210.0) is not None

    assert await acd.callback_answered("cb-c1", "op1", 215.0) == "talking"
    assert await acd.complete("cb-c1", 300.0, wrap_up_s=5.0) == "done"

    op = await acd.operator("op1")
    assert op is not None
    assert (op["state"], op["calls_taken"]) == ("wrap_up", "1")


async def test_bad_call_back_requests_are_refused(acd: Acd) -> None:
    with pytest.raises(InvalidAcdRequestError, match="number"):
        await acd.enqueue_callback("cb-1", "social", 0, 1.0, "", "kk", "pay", 2.0)
    with pytest.raises(InvalidAcdRequestError, match="attempts"):
        await acd.callback_no_answer("cb-1", "op1", 2.0, 60.0, 0)


async def test_requests_of_the_old_callback_set_move_into_the_acd_at_their_place(
    acd: Acd, redis_url: str
) -> None:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    keys = acd.keys
    # As the old registration left one: priority 0, the asking call arrived at t=100.
    score = str(queue_score(0, 100.0))
    await client.hset(
        keys.callback_prefix + "c1",
        mapping={
            "callback_id": "c1",
            "score": score,
            "number": "+77010000001",
            "queue_id": "social",
            "topic": "pay",
            "language": "kk",
            "priority": "0",
            "requested_at_s": "130.0",
            "state": "requested",
            "attempts": "0",
        },
    )
    await client.zadd(keys.callbacks, {"c1": float(score)})
    await acd.enqueue("c-later", "social", 0, 150.0, "ch", "u", "kk", "pay")

    assert await move_legacy_requests(client, acd) == 1
    assert await move_legacy_requests(client, acd) == 0

    assert await client.exists(keys.callbacks, keys.callback_prefix + "c1") == 0
    entry = await acd.call(callback_entry_id("c1")) or {}
    assert (entry["kind"], entry["number"], entry["state"]) == (
        "callback",
        "+77010000001",
        "waiting",
    )
    assert float(entry["arrived_at_s"]) == pytest.approx(100.0)
    assert await acd.position(callback_entry_id("c1")) == 1
    await client.aclose()

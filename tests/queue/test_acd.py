"""The ACD against a real redis-server (the session's own, see tests/conftest.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from hotline.queue import CALL_TTL_S, Acd, AcdConflictError, InvalidAcdRequestError
from hotline.redis_server import RedisProcess

pytestmark = pytest.mark.redis

HOTLINE = "400-100"


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
def acd(redis_client: aioredis.Redis) -> Acd:
    return Acd(redis_client, HOTLINE)


async def enqueue(acd: Acd, call_id: str, queue_id: str, at: float, priority: int = 0) -> int:
    return await acd.enqueue(
        call_id, queue_id, priority, at, f"PJSIP/trunk-{call_id}", f"u-{call_id}", "kk", "pay"
    )


async def state_of(acd: Acd, call_id: str) -> str:
    call = await acd.call(call_id)
    assert call is not None
    return call["state"]


async def op_field(acd: Acd, op_id: str, field: str) -> str:
    op = await acd.operator(op_id)
    assert op is not None
    return op[field]


async def test_enqueue_gives_position_in_queue_and_repeats_change_nothing(acd: Acd) -> None:
    assert await enqueue(acd, "c1", "social", 100.0) == 1
    assert await enqueue(acd, "c2", "social", 101.0) == 2
    assert await enqueue(acd, "c3", "checkpoint", 102.0) == 1
    before = await acd.call("c1")

    # A retried enqueue, even with other arguments, keeps the first one.
    assert await acd.enqueue("c1", "checkpoint", 9, 500.0, "other", "u-x", "ru", "x") == 1

    assert await acd.call("c1") == before
    assert await acd.waiting_count() == 3
    assert await acd.waiting_count("social") == 2
    assert await acd.position("c2") == 2
    assert await acd.position("nope") is None


async def test_assign_serves_priority_then_earliest_arrival_across_queues(acd: Acd) -> None:
    await enqueue(acd, "late-social", "social", 300.0)
    await enqueue(acd, "early-checkpoint", "checkpoint", 100.0)
    await enqueue(acd, "urgent-latest", "social", 400.0, priority=5)
    await enqueue(acd, "early-social", "social", 200.0)
    for i in range(4):
        await acd.operator_login(f"op{i}", ["social", "checkpoint"], 10.0 + i)

    order = []
    for _ in range(4):
        assignment = await acd.assign(500.0)
        assert assignment is not None
        order.append(assignment.call_id)

    assert order == ["urgent-latest", "early-checkpoint", "early-social", "late-social"]
    assert await acd.assign(500.0) is None
    assert await acd.waiting_count() == 0


async def test_assign_passes_over_a_call_nobody_available_serves(acd: Acd) -> None:
    await enqueue(acd, "russian", "social-ru", 100.0)
    await enqueue(acd, "kazakh", "social-kk", 200.0)
    await acd.operator_login("op-kk", ["social-kk"], 50.0)

    assignment = await acd.assign(250.0)

    assert assignment is not None
    assert (assignment.call_id, assignment.operator_id) == ("kazakh", "op-kk")
    assert assignment.queue_id == "social-kk"
    assert assignment.channel == "PJSIP/trunk-kazakh"
    assert assignment.uniqueid == "u-kazakh"
    assert assignment.waited_s == pytest.approx(50.0)
    assert await acd.position("russian") == 1
    assert await acd.assign(260.0) is None  # op-kk is ringing, nobody serves social-ru


async def test_longest_idle_operator_gets_the_call(acd: Acd) -> None:
    await acd.operator_login("op-a", ["social"], 30.0)
    await acd.operator_login("op-b", ["social"], 10.0)
    await acd.operator_login("op-c", ["social"], 20.0)
    await enqueue(acd, "c1", "social", 100.0)

    first = await acd.assign(101.0)
    assert first is not None
    assert first.operator_id == "op-b"
    await acd.answered("c1", "op-b", 102.0)
    await acd.complete("c1", 150.0)  # op-b idle since 150: now the least idle

    await enqueue(acd, "c2", "social", 160.0)
    await enqueue(acd, "c3", "social", 161.0)
    await enqueue(acd, "c4", "social", 162.0)
    operators = []
    for _ in range(3):
        assignment = await acd.assign(170.0)
        assert assignment is not None
        operators.append(assignment.operator_id)
    assert operators == ["op-c", "op-a", "op-b"]


async def test_ring_no_answer_puts_the_call_back_at_its_original_place(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await enqueue(acd, "first", "social", 100.0)
    offered = await acd.assign(110.0)
    assert offered is not None
    assert offered.operator_id == "op1"
    await enqueue(acd, "later", "social", 120.0)
    assert await acd.position("later") == 1

    assert await acd.ring_no_answer("first", "op1", 130.0) == "waiting"

    assert await acd.position("first") == 1
    assert await acd.position("later") == 2
    assert await op_field(acd, "op1", "state") == "available"
    assert await op_field(acd, "op1", "idle_since_s") == "130.0"
    assert await op_field(acd, "op1", "misses") == "1"
    call = await acd.call("first")
    assert call is not None
    assert (call["misses"], call["operator_id"]) == ("1", "")
    await acd.operator_login("op2", ["social"], 50.0)  # idle longer than op1 now
    again = await acd.assign(140.0)
    assert again is not None
    assert (again.call_id, again.operator_id) == ("first", "op2")
    assert again.waited_s == pytest.approx(40.0)  # from the original arrival


async def test_every_event_repeated_changes_nothing(acd: Acd) -> None:
    assert await acd.operator_login("op1", ["social"], 10.0) == "available"
    assert await acd.operator_login("op1", ["social"], 20.0) == "available"
    assert await op_field(acd, "op1", "idle_since_s") == "10.0"
    await enqueue(acd, "c1", "social", 100.0)
    await enqueue(acd, "c1", "social", 100.0)
    assert await acd.waiting_count() == 1

    assert await acd.assign(110.0) is not None
    assert await acd.ring_no_answer("c1", "op1", 120.0) == "waiting"
    assert await acd.ring_no_answer("c1", "op1", 121.0) == "waiting"
    assert await op_field(acd, "op1", "misses") == "1"
    assert await op_field(acd, "op1", "idle_since_s") == "120.0"
    assert await acd.waiting_count() == 1

    assert await acd.assign(130.0) is not None
    assert await acd.answered("c1", "op1", 135.0) == "talking"
    assert await acd.answered("c1", "op1", 136.0) == "talking"
    assert await op_field(acd, "op1", "answered") == "1"
    call = await acd.call("c1")
    assert call is not None
    assert call["answered_at_s"] == "135.0"
    assert await acd.ring_no_answer("c1", "op1", 137.0) == "talking"  # late: ignored
    assert await op_field(acd, "op1", "state") == "on_call"

    assert await acd.complete("c1", 200.0) == "done"
    assert await acd.complete("c1", 250.0) == "done"
    assert await op_field(acd, "op1", "state") == "available"
    assert await op_field(acd, "op1", "idle_since_s") == "200.0"
    call = await acd.call("c1")
    assert call is not None
    assert call["ended_at_s"] == "200.0"
    assert await acd.enqueue("c1", "social", 0, 300.0, "ch", "u", "kk", "pay") == 0
    assert await acd.cancel("c1", 300.0) == "done"
    assert await state_of(acd, "c1") == "done"
    assert await acd.waiting_count() == 0


async def test_answered_by_another_operator_is_a_conflict(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await enqueue(acd, "c1", "social", 100.0)
    assert await acd.assign(110.0) is not None

    with pytest.raises(AcdConflictError, match="op2"):
        await acd.answered("c1", "op2", 111.0)

    assert await state_of(acd, "c1") == "offered"
    assert await acd.answered("unknown", "op1", 111.0) is None


async def test_cancel_removes_a_waiting_call(acd: Acd, redis_client: aioredis.Redis) -> None:
    await enqueue(acd, "c1", "social", 100.0)
    await enqueue(acd, "c2", "social", 101.0)

    assert await acd.cancel("c1", 130.0) == "waiting"
    assert await acd.cancel("c1", 131.0) == "cancelled"
    assert await acd.cancel("unknown", 131.0) is None

    assert await state_of(acd, "c1") == "cancelled"
    assert await acd.position("c2") == 1
    assert await acd.waiting_count() == 1
    ttl_s = await redis_client.ttl(acd.keys.call("c1"))
    assert 0 < ttl_s <= CALL_TTL_S
    assert await redis_client.ttl(acd.keys.call("c2")) == -1  # a live call never expires
    await acd.operator_login("op1", ["social"], 10.0)
    assignment = await acd.assign(140.0)
    assert assignment is not None
    assert assignment.call_id == "c2"


async def test_cancel_of_an_offered_call_leaves_the_operator_to_the_dial(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await enqueue(acd, "c1", "social", 100.0)
    assert await acd.assign(110.0) is not None

    assert await acd.cancel("c1", 112.0) == "offered"
    assert await op_field(acd, "op1", "state") == "ringing"  # the Dial still rings

    assert await acd.ring_no_answer("c1", "op1", 115.0) == "cancelled"
    assert await op_field(acd, "op1", "state") == "available"
    assert await op_field(acd, "op1", "misses") == "0"  # not the operator's fault
    assert await acd.waiting_count() == 0


async def test_logout_during_a_call_takes_effect_when_it_ends(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await enqueue(acd, "c1", "social", 100.0)
    await enqueue(acd, "c2", "social", 101.0)
    assert await acd.assign(110.0) is not None
    await acd.answered("c1", "op1", 115.0)

    assert await acd.operator_logout("op1") == "on_call"
    assert await op_field(acd, "op1", "logout_pending") == "1"
    assert await acd.complete("c1", 200.0) == "done"

    assert await op_field(acd, "op1", "state") == "offline"
    assert await acd.assign(201.0) is None
    assert await acd.operator_login("op1", ["social"], 300.0) == "available"
    assignment = await acd.assign(301.0)
    assert assignment is not None
    assert assignment.call_id == "c2"


async def test_login_again_while_busy_withdraws_a_pending_logout(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await enqueue(acd, "c1", "social", 100.0)
    assert await acd.assign(110.0) is not None
    assert await acd.operator_logout("op1") == "ringing"

    assert await acd.operator_login("op1", ["social", "checkpoint"], 111.0) == "ringing"
    await acd.ring_no_answer("c1", "op1", 130.0)

    assert await op_field(acd, "op1", "state") == "available"
    await enqueue(acd, "c2", "checkpoint", 90.0)  # earlier than c1: the new queue is served
    assignment = await acd.assign(131.0)
    assert assignment is not None
    assert assignment.call_id == "c2"


async def test_logout_of_an_available_operator_is_immediate(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    assert await acd.operator_logout("op1") == "offline"
    assert await acd.operator_logout("op1") == "offline"
    assert await acd.operator_logout("unknown") is None
    await enqueue(acd, "c1", "social", 100.0)

    assert await acd.assign(101.0) is None
    assert await acd.operator_states() == {"op1": "offline"}


async def test_login_again_changes_queues_and_keeps_the_idle_time(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await acd.operator_login("op2", ["checkpoint"], 20.0)
    await acd.operator_login("op1", ["checkpoint"], 30.0)
    await enqueue(acd, "c1", "social", 100.0)
    await enqueue(acd, "c2", "checkpoint", 101.0)

    assignment = await acd.assign(102.0)

    assert assignment is not None
    assert (assignment.call_id, assignment.operator_id) == ("c2", "op1")
    assert await acd.assign(103.0) is None  # nobody serves social any more


async def test_invalid_requests_are_refused(acd: Acd) -> None:
    with pytest.raises(InvalidAcdRequestError):
        await acd.enqueue("c1", "social", 100, 1.0, "ch", "u", "kk", "pay")
    with pytest.raises(InvalidAcdRequestError):
        await acd.enqueue("c1", "a,b", 0, 1.0, "ch", "u", "kk", "pay")
    with pytest.raises(InvalidAcdRequestError):
        await acd.enqueue("c1", "social", 0, float("nan"), "ch", "u", "kk", "pay")
    with pytest.raises(InvalidAcdRequestError):
        await acd.operator_login("", ["social"], 1.0)
    assert await acd.waiting_count() == 0


async def test_concurrent_assigns_never_double_book(redis_url: str) -> None:
    clients = [aioredis.Redis.from_url(redis_url) for _ in range(4)]
    try:
        acds = [Acd(client, HOTLINE) for client in clients]
        queues = ["social", "checkpoint", "utility"]
        for i in range(60):
            await enqueue(acds[0], f"c{i:02}", queues[i % 3], 100.0 + i, priority=i % 2)
        for i in range(25):
            await acds[0].operator_login(f"op{i:02}", [queues[i % 3], queues[(i + 1) % 3]], i)

        results = await asyncio.gather(*(acds[i % 4].assign(200.0) for i in range(80)))

        made = [a for a in results if a is not None]
        assert len(made) == 25  # every operator serves some waiting call
        assert len({a.call_id for a in made}) == 25
        assert len({a.operator_id for a in made}) == 25
        for a in made:
            call = await acds[0].call(a.call_id)
            assert call is not None
            assert (call["state"], call["operator_id"]) == ("offered", a.operator_id)
            assert await op_field(acds[0], a.operator_id, "call_id") == a.call_id
        assert await acds[0].waiting_count() == 35
    finally:
        for client in clients:
            await client.aclose()


async def test_every_key_carries_the_hotline_hash_tag(
    acd: Acd, redis_client: aioredis.Redis
) -> None:
    await acd.operator_login("op1", ["social", "checkpoint"], 10.0)
    await acd.operator_login("op2", ["social"], 11.0)
    for i in range(3):
        await enqueue(acd, f"c{i}", "social", 100.0 + i)
    await enqueue(acd, "c9", "checkpoint", 99.0)
    await acd.assign(105.0)
    await acd.answered("c9", "op1", 106.0)
    await acd.cancel("c1", 107.0)

    keys = [key async for key in redis_client.scan_iter(count=100)]

    assert len(keys) >= 10
    assert all("{400-100}" in key for key in keys), keys


async def test_hotlines_do_not_share_calls(redis_client: aioredis.Redis) -> None:
    first, second = Acd(redis_client, "400-100"), Acd(redis_client, "109")
    await enqueue(first, "c1", "social", 100.0)
    await second.operator_login("op1", ["social"], 10.0)

    assert await second.assign(101.0) is None
    assert await second.waiting_count() == 0
    assert await first.waiting_count() == 1


async def test_bytes_replies_are_decoded(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url)  # decode_responses=False
    try:
        acd = Acd(client, HOTLINE)
        await acd.operator_login("op1", ["social"], 10.0)
        await enqueue(acd, "c1", "social", 100.0)
        assignment = await acd.assign(101.0)
        assert assignment is not None
        assert assignment.operator_id == "op1"
        call = await acd.call("c1")
        assert call is not None
        assert call["state"] == "offered"
        assert await acd.operator_states() == {"op1": "ringing"}
    finally:
        await client.aclose()


async def test_scripts_survive_a_redis_restart(
    acd: Acd, redis_client: aioredis.Redis, redis_server: RedisProcess
) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await enqueue(acd, "c1", "social", 100.0)
    old_pid = redis_server.pid

    redis_server.restart(keep_data=True)  # a new server: no scripts loaded, same data

    assert redis_server.pid != old_pid
    await redis_client.connection_pool.disconnect()
    assignment = await acd.assign(101.0)
    assert assignment is not None
    assert assignment.call_id == "c1"


async def test_places_are_exact_to_the_millisecond_at_real_epoch_times(
    acd: Acd, redis_client: aioredis.Redis
) -> None:
    t = 1_775_000_000.123  # 2026: the score is near 2**50, still exact in a double
    await acd.operator_login("op1", ["social"], t - 60)
    await enqueue(acd, "first", "social", t)
    assert await acd.assign(t + 1) is not None
    await enqueue(acd, "one-ms-later", "social", t + 0.001)

    await acd.ring_no_answer("first", "op1", t + 20)

    assert await acd.position("first") == 1
    assert await acd.position("one-ms-later") == 2
    score = await redis_client.zscore(acd.keys.waiting, "first")
    call = await acd.call("first")
    assert call is not None
    assert score == int(call["score"])


async def test_a_finished_call_expires_and_a_live_operator_does_not(
    acd: Acd, redis_client: aioredis.Redis
) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await enqueue(acd, "c1", "social", 100.0)
    assert await acd.assign(101.0) is not None
    assert await redis_client.ttl(acd.keys.call("c1")) == -1
    await acd.answered("c1", "op1", 102.0)

    await acd.complete("c1", 200.0)

    assert 0 < await redis_client.ttl(acd.keys.call("c1")) <= CALL_TTL_S
    assert await redis_client.ttl(acd.keys.operator("op1")) == -1

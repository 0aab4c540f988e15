"""Operator states beyond ringing and talking: wrap-up, pause, auto-pause after misses,
dispositions; against a real redis-server (the session's own, see tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from hotline.queue import NO_ANSWER_PAUSE, Acd, AcdConflictError, InvalidAcdRequestError

pytestmark = pytest.mark.redis

REASONS = ("break", "lunch", "training")


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
def acd(redis_client: aioredis.Redis) -> Acd:
    return Acd(redis_client, "400-100")


async def enqueue(acd: Acd, call_id: str, at: float, queue_id: str = "social") -> int:
    return await acd.enqueue(call_id, queue_id, 0, at, f"ch-{call_id}", f"u-{call_id}", "kk", "pay")


async def op(acd: Acd, op_id: str) -> dict[str, str]:
    fields = await acd.operator(op_id)
    assert fields is not None
    return fields


async def call(acd: Acd, call_id: str) -> dict[str, str]:
    fields = await acd.call(call_id)
    assert fields is not None
    return fields


async def talk(acd: Acd, op_id: str, call_id: str, at: float) -> None:
    """Enqueue `call_id` at `at`, offer it to `op_id` (the only one free) and answer it."""
    await enqueue(acd, call_id, at)
    offered = await acd.assign(at)
    assert offered is not None
    assert (offered.call_id, offered.operator_id) == (call_id, op_id)
    assert await acd.answered(call_id, op_id, at + 1) == "talking"


async def test_wrap_up_holds_the_operator_until_it_expires_at_its_end(
    acd: Acd, redis_client: aioredis.Redis
) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await talk(acd, "op1", "c1", 100.0)

    assert await acd.complete("c1", 200.0, wrap_up_s=10.0) == "done"
    assert await acd.complete("c1", 201.0, wrap_up_s=10.0) == "done"  # a repeat

    fields = await op(acd, "op1")
    assert (fields["state"], fields["wrap_up_until_s"], fields["calls_taken"]) == (
        "wrap_up",
        "210.0",
        "1",
    )
    assert await redis_client.zscore(acd.keys.wrap_up, "op1") == 210.0
    await enqueue(acd, "c2", 205.0)
    assert await acd.assign(209.9) is None  # still wrapping up
    offered = await acd.assign(215.0)  # expired at 210: noticed now
    assert offered is not None
    assert offered.operator_id == "op1"
    assert (await op(acd, "op1"))["idle_since_s"] == "210.0"
    assert await redis_client.zcard(acd.keys.wrap_up) == 0


async def test_no_wrap_up_makes_the_operator_available_at_once(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await talk(acd, "op1", "c1", 100.0)

    await acd.complete("c1", 200.0)

    fields = await op(acd, "op1")
    assert (fields["state"], fields["idle_since_s"], fields["calls_taken"]) == (
        "available",
        "200.0",
        "1",
    )


async def test_a_pending_logout_skips_the_wrap_up(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await talk(acd, "op1", "c1", 100.0)
    assert await acd.operator_logout("op1") == "on_call"

    await acd.complete("c1", 200.0, wrap_up_s=30.0)

    assert (await op(acd, "op1"))["state"] == "offline"


async def test_ready_ends_a_wrap_up_early_and_stores_the_disposition(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await talk(acd, "op1", "c1", 100.0)
    await acd.complete("c1", 200.0, wrap_up_s=60.0, disposition_required=True)

    with pytest.raises(AcdConflictError, match="disposition required"):
        await acd.operator_ready("op1", 205.0)
    assert (await op(acd, "op1"))["state"] == "wrap_up"
    with pytest.raises(InvalidAcdRequestError, match="disposition"):
        await acd.operator_ready("op1", 205.0, "nonsense", allowed_dispositions=("resolved",))

    assert await acd.operator_ready("op1", 206.0, "resolved", ("resolved",)) == "available"
    assert await acd.operator_ready("op1", 207.0) == "available"  # a repeat: no error

    assert (await op(acd, "op1"))["idle_since_s"] == "206.0"
    assert (await call(acd, "c1"))["disposition"] == "resolved"


async def test_a_required_disposition_never_given_is_marked_missing(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await talk(acd, "op1", "c1", 100.0)
    await acd.complete("c1", 200.0, wrap_up_s=10.0, disposition_required=True)

    assert await acd.assign(300.0) is None  # the expiry

    record = await call(acd, "c1")
    assert (record["disposition"], record["disposition_missing"]) == ("", "1")
    assert (await op(acd, "op1"))["state"] == "available"


async def test_a_logout_ends_a_wrap_up_at_once(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await talk(acd, "op1", "c1", 100.0)
    await acd.complete("c1", 200.0, wrap_up_s=60.0, disposition_required=True)

    assert await acd.operator_logout("op1") == "offline"

    assert (await call(acd, "c1"))["disposition_missing"] == "1"
    assert await acd.assign(300.0) is None
    assert (await op(acd, "op1"))["state"] == "offline"


async def test_pause_of_an_available_operator_is_immediate_and_ready_ends_it(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await enqueue(acd, "c1", 100.0)

    assert await acd.operator_pause("op1", "lunch", 50.0, REASONS) == "paused"
    assert await acd.operator_pause("op1", "break", 60.0, REASONS) == "paused"

    fields = await op(acd, "op1")
    assert (fields["pause_reason"], fields["paused_at_s"]) == ("break", "50.0")
    assert await acd.assign(110.0) is None
    assert await acd.operator_ready("op1", 120.0) == "available"
    offered = await acd.assign(121.0)
    assert offered is not None
    assert offered.operator_id == "op1"


async def test_pause_while_busy_applies_after_the_wrap_up(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await talk(acd, "op1", "c1", 100.0)

    assert await acd.operator_pause("op1", "training", 150.0, REASONS) == "on_call"
    await acd.complete("c1", 200.0, wrap_up_s=10.0)
    assert (await op(acd, "op1"))["state"] == "wrap_up"
    await enqueue(acd, "c2", 201.0)
    assert await acd.assign(300.0) is None

    fields = await op(acd, "op1")
    assert (fields["state"], fields["pause_reason"], fields["paused_at_s"]) == (
        "paused",
        "training",
        "210.0",
    )


async def test_ready_while_busy_withdraws_a_pending_pause(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await talk(acd, "op1", "c1", 100.0)
    await acd.operator_pause("op1", "break", 150.0, REASONS)

    assert await acd.operator_ready("op1", 160.0) == "on_call"
    await acd.complete("c1", 200.0)

    assert (await op(acd, "op1"))["state"] == "available"


async def test_pause_requests_that_cannot_apply_are_refused(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    with pytest.raises(InvalidAcdRequestError, match="nap"):
        await acd.operator_pause("op1", "nap", 20.0, REASONS)
    with pytest.raises(AcdConflictError, match="unknown operator"):
        await acd.operator_pause("ghost", "break", 20.0, REASONS)
    with pytest.raises(AcdConflictError, match="unknown operator"):
        await acd.operator_ready("ghost", 20.0)
    await acd.operator_logout("op1")
    with pytest.raises(AcdConflictError, match="offline"):
        await acd.operator_pause("op1", "break", 20.0, REASONS)
    assert await acd.operator_ready("op1", 21.0) == "offline"


async def test_misses_in_a_row_pause_the_operator_and_an_answer_resets_them(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await enqueue(acd, "c1", 100.0)
    for n in range(2):
        assert await acd.assign(110.0 + n) is not None
        assert await acd.ring_no_answer("c1", "op1", 120.0 + n, auto_pause_after=3) == "waiting"
    assert (await op(acd, "op1"))["misses_in_row"] == "2"
    assert await acd.assign(130.0) is not None
    await acd.answered("c1", "op1", 131.0)
    assert (await op(acd, "op1"))["misses_in_row"] == "0"
    await acd.complete("c1", 140.0)

    await enqueue(acd, "c2", 150.0)
    for n in range(3):
        assert await acd.assign(150.0 + n) is not None
        await acd.ring_no_answer("c2", "op1", 160.0 + n, auto_pause_after=3)
    await acd.ring_no_answer("c2", "op1", 170.0, auto_pause_after=3)  # a repeat

    fields = await op(acd, "op1")
    assert (fields["state"], fields["pause_reason"], fields["paused_at_s"]) == (
        "paused",
        NO_ANSWER_PAUSE,
        "162.0",
    )
    assert (fields["misses"], fields["misses_in_row"]) == ("5", "0")
    assert await acd.assign(200.0) is None
    assert await acd.position("c2") == 1


async def test_auto_pause_zero_never_pauses(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await enqueue(acd, "c1", 100.0)
    for n in range(5):
        assert await acd.assign(110.0 + n) is not None
        await acd.ring_no_answer("c1", "op1", 120.0 + n)

    assert (await op(acd, "op1"))["state"] == "available"


async def test_login_keeps_a_pause_and_a_wrap_up(acd: Acd) -> None:
    await acd.operator_login("op1", ["social"], 10.0)
    await acd.operator_pause("op1", "break", 20.0, REASONS)
    assert await acd.operator_login("op1", ["social", "checkpoint"], 30.0) == "paused"
    await acd.operator_login("op2", ["social"], 10.0)
    await talk(acd, "op2", "c1", 100.0)
    await acd.complete("c1", 200.0, wrap_up_s=60.0)
    assert await acd.operator_login("op2", ["social"], 210.0) == "wrap_up"

    assert await acd.operator_ready("op1", 220.0) == "available"
    await enqueue(acd, "c2", 221.0, queue_id="checkpoint")
    offered = await acd.assign(222.0)
    assert offered is not None
    assert offered.operator_id == "op1"

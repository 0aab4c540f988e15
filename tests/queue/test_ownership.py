"""Call ownership between controllers sharing one Redis: the owner stored at the enqueue,
the controllers' leases, and the claim that lets exactly one survivor take a dead
controller's call (against the session's real redis-server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from hotline.queue import Acd
from hotline.queue.inventory import CallInventory
from hotline.queue.leases import Leases

pytestmark = pytest.mark.redis

HOTLINE = "400-100"
LONG_MS = 60_000


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
def acd(redis_client: aioredis.Redis) -> Acd:
    return Acd(redis_client, HOTLINE)


async def enqueue(acd: Acd, call_id: str, owner: str = "") -> None:
    await acd.enqueue(
        call_id, "social", 0, 100.0, f"PJSIP/t-{call_id}", f"u-{call_id}", "kk", "pay", owner=owner
    )


async def owner_of(acd: Acd, call_id: str) -> str | None:
    call = await acd.call(call_id)
    assert call is not None
    return call.get("owner")


async def test_the_enqueue_stores_the_owner_and_a_retry_keeps_it(acd: Acd) -> None:
    await enqueue(acd, "c1", owner="ctl-a")
    await enqueue(acd, "c1", owner="ctl-b")  # a retry changes nothing
    await enqueue(acd, "c2")
    assert await owner_of(acd, "c1") == "ctl-a"
    assert await owner_of(acd, "c2") is None


async def test_leases_are_per_hotline_keys_that_expire_and_are_released(
    redis_client: aioredis.Redis,
) -> None:
    leases = Leases(redis_client, [HOTLINE, "109"])
    inventory = CallInventory(redis_client, HOTLINE)
    assert not await leases.renew("ctl-a", LONG_MS)  # taken, not renewed
    assert await leases.renew("ctl-a", LONG_MS)
    assert not await leases.renew("ctl-b", 50)
    assert await redis_client.get("hl:{400-100}:controller:ctl-a") == "ctl-a"
    assert await redis_client.exists("hl:{109}:controller:ctl-a") == 1
    assert await inventory.live_owners({"ctl-a", "ctl-b", "ctl-c"}) == {"ctl-a", "ctl-b"}
    await asyncio.sleep(0.2)
    assert await inventory.live_owners({"ctl-a", "ctl-b"}) == {"ctl-a"}
    assert not await leases.renew("ctl-b", LONG_MS)  # it had lapsed
    await leases.release("ctl-a")
    assert await inventory.live_owners({"ctl-a"}) == set()


async def test_a_call_is_claimed_only_from_a_dead_or_missing_owner(
    acd: Acd, redis_client: aioredis.Redis
) -> None:
    leases = Leases(redis_client, [HOTLINE])
    for controller in ("ctl-a", "ctl-b", "ctl-c", "ctl-d"):
        await leases.renew(controller, LONG_MS)
    await enqueue(acd, "c1", owner="ctl-a")
    await enqueue(acd, "c2")

    assert await acd.claim("c1", "ctl-a")  # its own
    assert not await acd.claim("c1", "ctl-b")  # ctl-a is alive
    assert await owner_of(acd, "c1") == "ctl-a"
    assert await acd.claim("c2", "ctl-b")  # nobody owned it
    assert await owner_of(acd, "c2") == "ctl-b"

    await leases.release("ctl-a")  # ctl-a is gone: one survivor only gets the call
    survivors = ("ctl-d", "ctl-c", "ctl-b")
    results = await asyncio.gather(*(acd.claim("c1", c) for c in survivors))
    assert results.count(True) == 1
    assert await owner_of(acd, "c1") == survivors[results.index(True)]
    assert not await acd.claim("c1", "ctl-e")


async def test_a_call_that_is_over_or_unknown_is_not_claimed(acd: Acd) -> None:
    await enqueue(acd, "c1", owner="ctl-a")
    await acd.cancel("c1", 101.0)
    assert not await acd.claim("c1", "ctl-b")
    assert not await acd.claim("nope", "ctl-b")
    assert await owner_of(acd, "c1") == "ctl-a"

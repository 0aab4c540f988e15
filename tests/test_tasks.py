"""stop_task really stops a task that loops over Redis calls (redis-py can swallow a cancel)."""

from __future__ import annotations

import asyncio
import random

import redis.asyncio as aioredis

from hotline.queue import Acd
from hotline.tasks import stop_task


async def _poll_forever(acd: Acd) -> None:
    while True:
        await acd.operator_states()
        await acd.waiting_count()


async def test_stop_task_ends_loops_cancelled_mid_command(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    try:
        acd = Acd(client, "400-100")
        for n in range(5):
            await acd.operator_login(f"op{n}", ["social-payments-kk"], 1_800_000_000.0)
        rng = random.Random(3)
        for _ in range(30):
            task = asyncio.create_task(_poll_forever(acd))
            await asyncio.sleep(rng.uniform(0.0, 0.004))  # jitter: cancel at varied points
            await stop_task(task)
            assert task.done()
    finally:
        await client.aclose()


async def test_stop_task_accepts_none_and_finished_tasks() -> None:
    await stop_task(None)
    task = asyncio.create_task(asyncio.sleep(0))
    await task
    await stop_task(task)
    assert task.done()

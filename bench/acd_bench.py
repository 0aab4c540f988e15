"""Benchmark of the Redis ACD: how many calls per second one controller can push through
enqueue -> assign -> answered -> complete, and the latency of each script.

Runs against a private redis-server on a free loopback port (stopped at the end).

    .venv/bin/python bench/acd_bench.py --calls 5000 --operators 50 --queues 6

Figures: total throughput (calls/s through the whole cycle), and p50/p95/p99 latency in
milliseconds of each script, measured in the same run. `--smoke` runs a small count for CI.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import redis.asyncio as redis

from hotline.queue import Acd
from hotline.redis_server import RedisProcess

T = TypeVar("T")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(q * (len(ordered) - 1)))
    return ordered[index]


async def run(calls: int, operators: int, queues: int) -> dict[str, dict[str, float]]:
    server = RedisProcess(Path(tempfile.mkdtemp(prefix="hotline-bench-")))
    server.start()
    client = redis.Redis.from_url(server.url)
    latencies: dict[str, list[float]] = defaultdict(list)

    async def timed(name: str, coro: Awaitable[T]) -> T:
        start = time.perf_counter()
        result = await coro
        latencies[name].append((time.perf_counter() - start) * 1000.0)
        return result

    try:
        acd = Acd(client, "bench")
        queue_ids = [f"q{i}" for i in range(queues)]
        now = 1_800_000_000.0
        for i in range(operators):
            await acd.operator_login(f"op{i}", queue_ids, now)
        started = time.perf_counter()
        for n in range(calls):
            now += 1.0
            call_id = f"c{n}"
            queue_id = queue_ids[n % queues]
            enqueue = acd.enqueue(call_id, queue_id, 0, now, f"PJSIP/t-{n}", f"{n}.1", "kk", "t")
            await timed("enqueue", enqueue)
            assignment = await timed("assign", acd.assign(now))
            assert assignment is not None, "an operator must be free in this benchmark"
            await timed("answered", acd.answered(call_id, assignment.operator_id, now))
            await timed("complete", acd.complete(call_id, now + 0.5))
        elapsed = time.perf_counter() - started
    finally:
        await client.aclose()
        server.stop()
    report = {
        name: {
            "p50_ms": round(_percentile(values, 0.50), 3),
            "p95_ms": round(_percentile(values, 0.95), 3),
            "p99_ms": round(_percentile(values, 0.99), 3),
            "mean_ms": round(statistics.fmean(values), 3),
        }
        for name, values in latencies.items()
    }
    report["cycle"] = {"calls_per_s": round(calls / elapsed, 1), "calls": calls}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--operators", type=int, default=50)
    parser.add_argument("--queues", type=int, default=6)
    parser.add_argument("--smoke", action="store_true", help="a quick run for CI")
    args = parser.parse_args()
    calls = 200 if args.smoke else args.calls
    report = asyncio.run(run(calls, args.operators, args.queues))
    for name, figures in report.items():
        print(f"{name:10s} " + "  ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()

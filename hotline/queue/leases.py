"""Controllers' heartbeats in Redis: one lease key per controller and hotline it serves.

Several controllers may share one Redis. Each call hash records its `owner`, the controller
that tracks it; a controller keeps `AcdKeys.lease(controller_id)` alive with a PX expiry
while it runs and deletes it at a clean stop. A call whose owner has no lease may be taken
over (`Acd.claim`, `hotline.controller.ownership`). The lease keys carry the hotline's hash
tag so that the claim script sees the call and the lease in one slot.

Expiries are real milliseconds (Redis' own clock); the caller converts from its clock.
"""

from __future__ import annotations

from collections.abc import Iterable

from redis.asyncio import Redis

from hotline.queue.keys import AcdKeys


class Leases:
    """The leases of the hotlines `hotline_ids` on one Redis client (not owned)."""

    def __init__(self, redis: Redis, hotline_ids: Iterable[str]) -> None:
        self._redis = redis
        self._keys = [AcdKeys(hotline_id) for hotline_id in hotline_ids]

    async def renew(self, controller_id: str, ttl_ms: int) -> bool:
        """Set (or renew) `controller_id`'s lease on every hotline, expiring in `ttl_ms`.
        False if one had run out (or was never set): the lease lapsed meanwhile."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for keys in self._keys:
                pipe.set(keys.lease(controller_id), controller_id, px=max(1, ttl_ms), get=True)
            before = await pipe.execute()
        return all(old is not None for old in before)

    async def release(self, controller_id: str) -> None:
        """Delete `controller_id`'s leases (a clean stop: its calls may be taken over now)."""
        await self._redis.delete(*(keys.lease(controller_id) for keys in self._keys))

"""Wake the dispatcher when an operator's state changes outside this controller.

`hotline operator login|ready` (the CLI) talks to Redis directly and publishes on each
hotline's wake channel (`Acd.notify_change`); this task listens and wakes the dispatcher, so a
freed operator is offered the next caller at once rather than at the next tick. A lost Redis
connection is retried with a growing pause; meanwhile the periodic tick still runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

import redis.asyncio as redis

from hotline.clock import Clock

log = logging.getLogger(__name__)

RETRY_MIN_S = 0.5
RETRY_MAX_S = 30.0


class WakeListener:
    def __init__(
        self,
        client: redis.Redis,
        channels: Sequence[str],
        on_wake: Callable[[], None],
        clock: Clock,
    ) -> None:
        self._client = client
        self._channels = list(channels)
        self._on_wake = on_wake
        self._clock = clock
        self.subscribed = asyncio.Event()

    async def run(self) -> None:
        pause = RETRY_MIN_S
        while True:
            try:
                await self._listen()
            except (OSError, ConnectionError, redis.RedisError) as exc:
                self.subscribed.clear()
                log.warning("wake-ups from Redis lost (%s): again in %.1f s", exc, pause)
                await self._clock.sleep(pause)
                pause = min(pause * 2, RETRY_MAX_S)

    async def _listen(self) -> None:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(*self._channels)
            self.subscribed.set()
            while True:
                message = await pubsub.get_message(timeout=None)
                if message is not None:
                    self._on_wake()
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped

"""The controller's lease: its heartbeat in Redis, and the takeover of a dead one's calls.

Several `hotline serve` processes may share one Redis and one Asterisk. Each call hash
records its owner, the controller that follows it (the one that enqueued it, or took it
over). While a controller runs, `LeaseKeeper` keeps its lease keys alive (`Leases.renew`,
a PX expiry of `ttl_s`, renewed every `renew_s`); after each renewal it looks for calls
whose owner has no lease any more (that controller died without a clean stop) and has the
dispatcher take them over (`Dispatcher.take_over`). A clean stop deletes the lease, so the
other controllers take over at their next renewal rather than after `ttl_s`.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable

from hotline.clock import Clock
from hotline.queue.leases import Leases
from hotline.tasks import stop_task

log = logging.getLogger(__name__)

#: How long a lease outlives its controller's last renewal, in clock seconds.
LEASE_TTL_S = 15.0
#: How often a running controller renews its lease, in clock seconds.
LEASE_RENEW_S = 5.0


class LeaseKeeper:
    """Renews `controller_id`'s lease every `renew_s`; runs `after_renewal(lapsed)` each
    time (`lapsed`: the lease had run out before this renewal)."""

    def __init__(
        self,
        leases: Leases,
        controller_id: str,
        clock: Clock,
        after_renewal: Callable[[bool], Awaitable[object]],
        ttl_s: float = LEASE_TTL_S,
        renew_s: float = LEASE_RENEW_S,
    ) -> None:
        if not 0 < renew_s < ttl_s:
            raise ValueError(f"lease renewal every {renew_s} s must be within its {ttl_s} s")
        self._leases = leases
        self.controller_id = controller_id
        self._clock = clock
        self._after_renewal = after_renewal
        self._ttl_s = ttl_s
        self._renew_s = renew_s
        self._task: asyncio.Task[None] | None = None

    @property
    def ttl_ms(self) -> int:
        """The lease's expiry in real milliseconds (Redis' clock, not the injected one).

        Simulated time, not a deadline: how long a dead controller's calls wait before
        another takes them over is part of what a simulation shows, so it scales with the
        speed (a floor made the other controller take over 100 simulated seconds late at
        speed 50). At speed 300 a 15 s lease is 50 real ms: a loaded machine can let it
        lapse between two renewals (logged as "had lapsed"), so `hotline simulate`, which runs
        one controller, gives its lease `SIM_LEASE_REAL_S` real seconds at least."""
        return math.ceil(self._ttl_s * 1000 / self._clock.speed)

    async def renew(self) -> bool:
        """Renew the lease now; False if it had lapsed (or is taken for the first time)."""
        return await self._leases.renew(self.controller_id, self.ttl_ms)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="lease")

    async def stop(self) -> None:
        """Stop renewing (the lease runs out by itself; `release` deletes it now)."""
        await stop_task(self._task)
        self._task = None

    async def release(self) -> None:
        await self._leases.release(self.controller_id)

    async def _run(self) -> None:
        while True:
            await self._clock.sleep(self._renew_s)
            try:
                held = await self.renew()
            except Exception as exc:
                log.warning("lease of controller %s not renewed: %s", self.controller_id, exc)
                continue
            if not held:
                log.warning("lease of controller %s had lapsed", self.controller_id)
            try:
                await self._after_renewal(not held)
            except Exception:
                # AMI or Redis trouble: the next renewal looks again.
                log.exception("taking over the calls of a dead controller failed")

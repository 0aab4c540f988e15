"""Rate limiting and lockout of the operator API's PIN checks: a 4-digit PIN has 10,000
values, so without them every PIN falls in seconds.

Two counters, both on the injected clock, kept in Redis so that every controller serving
the API shares them (keys in hotline.queue.keys; one atomic script, `pin_failed.lua`):

- per operator (hotline, operator id): `operator_failures` wrong PINs in a row lock the
  operator's PIN out for `lockout_s`, doubled at each further lockout up to
  `max_lockout_s`; their right PIN resets it. A supervisor token is not locked out.
- per client address: `address_failures` refused attempts (any operator, unknown ids
  included) lock the address out the same way, so one client cannot walk through the
  operators a few guesses at a time. A success does not reset it (an operator who knows
  their own PIN must not be able to clear the budget of their guesses at others').

Failures are forgotten after `forget_after_s` without one. While locked, the PIN is not
even compared: the caller gets 429 with the seconds left. Redis unreachable: the request
fails (503), it is never let through unchecked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

from redis.asyncio import Redis

from hotline.clock import Clock
from hotline.queue.keys import pin_failures_of_address, pin_failures_of_operator

#: (hotline id, operator id) as the client typed them: existing or not, counted alike.
OperatorRef = tuple[str, str]


@dataclass(frozen=True)
class PinGuardSettings:
    operator_failures: int = 5
    address_failures: int = 20
    lockout_s: float = 60.0
    max_lockout_s: float = 3600.0
    forget_after_s: float = 3600.0


@cache
def _script_source() -> str:
    return (resources.files("hotline.web") / "pin_failed.lua").read_text("utf-8")


class PinGuard:
    """Counts refused PINs per operator and per client address; says who is locked out."""

    def __init__(
        self, redis: Redis, clock: Clock, settings: PinGuardSettings | None = None
    ) -> None:
        self._redis = redis
        self._clock = clock
        self._settings = settings or PinGuardSettings()
        self._failed = redis.register_script(_script_source())

    async def retry_after_s(self, address: str, operator: OperatorRef | None) -> int | None:
        """Whole seconds until a locked address or operator may try again; None if free."""
        keys = [pin_failures_of_address(address)]
        if operator is not None:
            keys.append(_operator_key(operator))
        now = self._clock.now()
        longest = 0.0
        for key in keys:
            until = await self._redis.hget(key, "locked_until")
            if until is not None:
                longest = max(longest, float(until) - now)
        return math.ceil(longest) if longest > 0 else None

    async def failed(self, address: str, operator: OperatorRef | None) -> int:
        """Count one refused attempt; the operator's failures in a row (else the address's)."""
        counted = await self._count(
            pin_failures_of_address(address), self._settings.address_failures
        )
        if operator is not None:
            counted = await self._count(_operator_key(operator), self._settings.operator_failures)
        return counted

    async def succeeded(self, operator: OperatorRef) -> None:
        """The operator's right PIN: their counter starts again."""
        await self._redis.delete(_operator_key(operator))

    async def _count(self, key: str, limit: int) -> int:
        settings = self._settings
        args: list[str | float] = [
            repr(self._clock.now()),
            limit,
            settings.lockout_s,
            settings.max_lockout_s,
            settings.forget_after_s,
        ]
        return int(await self._failed(keys=[key], args=args))


def _operator_key(operator: OperatorRef) -> str:
    return pin_failures_of_operator(*operator)

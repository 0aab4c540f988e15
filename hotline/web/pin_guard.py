"""Rate limiting and lockout of the operator API's PIN checks: a 4-digit PIN has 10,000
values, so without them every PIN falls in seconds.

Two counters, both on the injected clock:

- per operator (hotline, operator id): `operator_failures` wrong PINs in a row lock the
  operator's PIN out for `lockout_s`, doubled at each further lockout up to
  `max_lockout_s`; their right PIN resets it. A supervisor token is not locked out.
- per client address: `address_failures` refused attempts (any operator, unknown ids
  included) lock the address out the same way, so one client cannot walk through the
  operators five guesses at a time. A success does not reset it (an operator who knows
  their own PIN must not be able to clear the budget of their guesses at others').

Failures are forgotten after `forget_after_s` without one. While locked, the PIN is not
even compared: the caller gets 429 with the seconds left.

The state is in this process only: with several controllers behind one address each
counts on its own, so an attacker gets at most that many times the budget. (Sharing it in
Redis is the next step when the API runs on more than one controller.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar

from hotline.clock import Clock

#: A purge of idle records runs once the table holds this many (an attacker cycling
#: through addresses must not grow it without end).
_PURGE_AT = 10_000
K = TypeVar("K")


@dataclass
class _Counter:
    failures: int = 0
    lockouts: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


@dataclass(frozen=True)
class PinGuardSettings:
    operator_failures: int = 5
    address_failures: int = 20
    lockout_s: float = 60.0
    max_lockout_s: float = 3600.0
    forget_after_s: float = 3600.0


class PinGuard:
    """Counts refused PINs per operator and per client address; says who is locked out."""

    def __init__(self, clock: Clock, settings: PinGuardSettings | None = None) -> None:
        self._clock = clock
        self._settings = settings or PinGuardSettings()
        self._operators: dict[tuple[str, str], _Counter] = {}
        self._addresses: dict[str, _Counter] = {}

    def retry_after_s(self, address: str, operator: tuple[str, str] | None) -> int | None:
        """Whole seconds until a locked address or operator may try again; None if free."""
        now = self._clock.now()
        waits = [self._left(self._addresses.get(address), now)]
        if operator is not None:
            waits.append(self._left(self._operators.get(operator), now))
        longest = max(waits)
        return math.ceil(longest) if longest > 0 else None

    def failed(self, address: str, operator: tuple[str, str] | None) -> int:
        """Count one refused attempt; the operator's failures in a row (else the address's)."""
        now = self._clock.now()
        counted = self._count(self._addresses, address, self._settings.address_failures, now)
        if operator is not None:
            counted = self._count(self._operators, operator, self._settings.operator_failures, now)
        return counted

    def succeeded(self, operator: tuple[str, str]) -> None:
        """The operator's right PIN: their counter starts again."""
        self._operators.pop(operator, None)

    @staticmethod
    def _left(counter: _Counter | None, now: float) -> float:
        return 0.0 if counter is None else counter.locked_until - now

    def _count(self, table: dict[K, _Counter], key: K, limit: int, now: float) -> int:
        if len(table) >= _PURGE_AT:
            self._purge(table, now)
        counter = table.setdefault(key, _Counter())
        if now - counter.last_failure > self._settings.forget_after_s:
            counter.failures = counter.lockouts = 0
        counter.last_failure = now
        counter.failures += 1
        failures = counter.failures
        if failures >= limit:
            lock_s = self._settings.lockout_s * 2**counter.lockouts
            counter.locked_until = now + min(lock_s, self._settings.max_lockout_s)
            counter.lockouts += 1
            counter.failures = 0
        return failures

    def _purge(self, table: dict[K, _Counter], now: float) -> None:
        idle = [
            key
            for key, counter in table.items()
            if counter.locked_until <= now
            and now - counter.last_failure > self._settings.forget_after_s
        ]
        for key in idle:
            del table[key]

"""hotline.web.pin_guard without HTTP: lockouts, their growth, forgetting, and a table an
attacker cycling through addresses cannot grow without end."""

from __future__ import annotations

import pytest

from hotline.web import pin_guard
from hotline.web.pin_guard import PinGuard, PinGuardSettings
from tests.controller.fakes import FakeClock

OP = ("400-100", "op01")


def test_failures_lock_out_then_grow_and_are_forgotten_after_a_quiet_hour() -> None:
    clock = FakeClock(1_000.0)
    guard = PinGuard(clock, PinGuardSettings(operator_failures=3, lockout_s=10))
    assert [guard.failed("a", OP) for _ in range(3)] == [1, 2, 3]
    assert guard.retry_after_s("a", OP) == 10
    assert guard.retry_after_s("b", OP) == 10  # the operator, from any address
    assert guard.retry_after_s("b", ("400-100", "op02")) is None
    clock.advance(10)
    assert guard.retry_after_s("a", OP) is None
    for _ in range(3):
        guard.failed("a", OP)
    assert guard.retry_after_s("a", OP) == 20
    clock.advance(20 + 3601)
    for _ in range(3):
        guard.failed("a", OP)
    assert guard.retry_after_s("a", OP) == 10  # an hour without failure: back to the start


def test_the_address_table_is_purged_of_idle_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pin_guard, "_PURGE_AT", 50)  # a small table for the test
    clock = FakeClock(0.0)
    guard = PinGuard(clock)
    for n in range(50):
        guard.failed(f"192.0.2.{n}", None)
    assert len(guard._addresses) == 50  # the table's size is the point
    clock.advance(3601)
    guard.failed("198.51.100.1", None)
    assert len(guard._addresses) == 1

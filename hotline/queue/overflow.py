"""Which overflow rule applies to a waiting caller now (pure; see hotline.config.overflow)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hotline.config.overflow import OverflowRule


@dataclass(frozen=True)
class QueueSituation:
    """What the rules look at, for one waiting caller of one queue."""

    waited_s: float
    # Callers waiting in the caller's queue, the caller included.
    waiting: int
    # Operators serving the queue who are logged in (any state but offline).
    logged_in: int


def rule_holds(rule: OverflowRule, situation: QueueSituation) -> bool:
    if rule.after_wait_s is not None:
        return situation.waited_s > rule.after_wait_s
    if rule.callers_per_operator is not None:
        if situation.logged_in == 0:
            return True  # infinitely many callers per operator
        return situation.waiting / situation.logged_in > rule.callers_per_operator
    return situation.logged_in == 0  # nobody_on_shift


def first_overflow(
    rules: Sequence[OverflowRule], situation: QueueSituation
) -> tuple[int, OverflowRule] | None:
    """The first rule (with its index) whose condition holds, or None."""
    for index, rule in enumerate(rules):
        if rule_holds(rule, situation):
            return index, rule
    return None

"""Which overflow rule applies (hotline.queue.overflow): pure."""

from __future__ import annotations

from hotline.config.overflow import OverflowRule
from hotline.queue.overflow import QueueSituation, first_overflow

BY_WAIT = OverflowRule(after_wait_s=120, action="callback")
BY_RATIO = OverflowRule(callers_per_operator=3, action="widen", queue="wider")
NOBODY = OverflowRule(nobody_on_shift=True, action="message", prompt="no-operators")
RULES = [NOBODY, BY_RATIO, BY_WAIT]


def test_nothing_applies_to_a_calm_queue() -> None:
    assert first_overflow(RULES, QueueSituation(waited_s=30, waiting=2, logged_in=2)) is None


def test_the_first_rule_that_holds_wins() -> None:
    # Waited long and the ratio is high: the ratio rule comes first in the list.
    assert first_overflow(RULES, QueueSituation(waited_s=300, waiting=7, logged_in=2)) == (
        1,
        BY_RATIO,
    )
    assert first_overflow(RULES, QueueSituation(waited_s=300, waiting=6, logged_in=2)) == (
        2,
        BY_WAIT,
    )
    # The thresholds are strict: exactly 120 s or exactly 3 callers each do not overflow.
    assert first_overflow(RULES, QueueSituation(waited_s=120, waiting=6, logged_in=2)) is None


def test_nobody_logged_in_is_caught_by_the_nobody_and_the_ratio_rules() -> None:
    empty = QueueSituation(waited_s=0, waiting=1, logged_in=0)
    assert first_overflow(RULES, empty) == (0, NOBODY)
    assert first_overflow([BY_RATIO], empty) == (0, BY_RATIO)

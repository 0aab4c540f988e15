"""`queues[].overflow` rules: what loads, and errors that name the file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.config import ConfigError, load_hotline
from tests.config.samples import line_of, replaced, write

QUEUE_KK = "  - {id: general-kk, topic: general, language: kk}\n"


def with_overflow(rules: str) -> str:
    return replaced(
        QUEUE_KK,
        "  - id: general-kk\n    topic: general\n    language: kk\n    overflow:\n" + rules,
    )


def test_rules_load_in_order(tmp_path: Path) -> None:
    text = with_overflow(
        "      - {after_wait_s: 120, action: callback}\n"
        "      - {callers_per_operator: 4, action: widen, queue: general-ru}\n"
        "      - {nobody_on_shift: true, action: message, prompt: menu-test, then: hangup}\n"
    )
    queue = load_hotline(write(tmp_path, text)).queue("general-kk")
    assert [rule.action for rule in queue.overflow] == ["callback", "widen", "message"]
    assert queue.overflow[1].queue == "general-ru"
    assert queue.overflow[2].then == "hangup"


@pytest.mark.parametrize(
    ("rule", "needle", "field", "message"),
    [
        (
            "{after_wait_s: 60, nobody_on_shift: true, action: callback}",
            "after_wait_s: 60",
            "queues.0.overflow.0",
            "exactly one of",
        ),
        (
            "{after_wait_s: 60, action: widen}",
            "after_wait_s: 60",
            "queues.0.overflow.0",
            "needs `queue`",
        ),
        (
            "{after_wait_s: 60, action: widen, queue: nowhere}",
            "queue: nowhere",
            "queues.0.overflow.0.queue",
            "no queue 'nowhere'",
        ),
        (
            "{after_wait_s: 60, action: widen, queue: general-kk}",
            "queue: general-kk",
            "queues.0.overflow.0.queue",
            "cannot widen into itself",
        ),
        (
            "{after_wait_s: 60, action: message}",
            "after_wait_s: 60",
            "queues.0.overflow.0",
            "needs `prompt`",
        ),
        (
            "{after_wait_s: 60, action: bilingual}",
            "action: bilingual",
            "queues.0.overflow.0.action",
            "no operator taking topic 'general' is marked bilingual",
        ),
    ],
)
def test_bad_rules_are_refused_with_their_line(
    tmp_path: Path, rule: str, needle: str, field: str, message: str
) -> None:
    text = with_overflow(f"      - {rule}\n")
    with pytest.raises(ConfigError) as caught:
        load_hotline(write(tmp_path, text))
    issue = caught.value.first
    assert issue.field == field
    assert issue.line == line_of(text, needle)
    assert message in issue.message

"""Every duration and count in a hotline file has an upper bound: a huge number is refused
with the file, line and field, not loaded (and then overflowing Asterisk's or Redis's
arithmetic at the first call)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.config import ConfigError, check_config_main, load_hotline
from tests.config.samples import SAMPLE_MANIFEST, line_of, replaced, write

HUGE = "99999999999999999999999999"
QUEUE = "  - {id: general-ru, topic: general, language: ru}\n"
OPERATOR_LANGUAGES = "    languages: [kk, ru]\n    dial"
SHIFT_END = '    end: "20:00"\n'


def _with(extra: str) -> str:
    """VALID_YAML with top-level lines `extra` added after `hours:`."""
    return replaced('hours: "24/7"\n', f'hours: "24/7"\n{extra}')


# (text, the line the error must point at, the field, the bound in the message)
CASES = [
    pytest.param(_with(f"ring_timeout_s: {HUGE}\n"), "ring_timeout_s", "ring_timeout_s", "300"),
    pytest.param(_with("ring_timeout_s: 301\n"), "ring_timeout_s", "ring_timeout_s", "300"),
    pytest.param(_with(f"service_level_s: {HUGE}\n"), "service_level_s", "service_level_s", "3600"),
    pytest.param(_with(f"hold_announce_s: {HUGE}\n"), "hold_announce_s", "hold_announce_s", "3600"),
    pytest.param(
        replaced(QUEUE, f"  - {{id: general-ru, topic: general, language: ru, aht_s: {HUGE}}}\n"),
        "aht_s",
        "queues.1.aht_s",
        "14400",
    ),
    pytest.param(
        replaced(
            QUEUE, f"  - {{id: general-ru, topic: general, language: ru, max_waiting: {HUGE}}}\n"
        ),
        "max_waiting",
        "queues.1.max_waiting",
        "100000",
    ),
    pytest.param(
        replaced(
            QUEUE,
            "  - id: general-ru\n    topic: general\n    language: ru\n    overflow:\n"
            f"      - {{after_wait_s: {HUGE}, action: callback}}\n",
        ),
        "after_wait_s",
        "queues.1.overflow.0.after_wait_s",
        "86400",
    ),
    pytest.param(
        _with(f"routing:\n  wrap_up_s: {HUGE}\n"), "wrap_up_s", "routing.wrap_up_s", "3600"
    ),
    pytest.param(
        _with(f"routing:\n  tier_delay_s: {HUGE}\n"), "tier_delay_s", "routing.tier_delay_s", "3600"
    ),
    pytest.param(
        _with("routing:\n  auto_pause_after: 1000\n"),
        "auto_pause_after",
        "routing.auto_pause_after",
        "20",
    ),
    pytest.param(
        _with(f"routing:\n  pause_reasons:\n    lunch: {{limit_s: {HUGE}}}\n"),
        "limit_s",
        "routing.pause_reasons.lunch.limit_s",
        "86400",
    ),
    pytest.param(
        _with(f"callbacks:\n  retry_after_s: {HUGE}\n"),
        "retry_after_s",
        "callbacks.retry_after_s",
        "86400",
    ),
    pytest.param(
        _with("callbacks:\n  max_attempts: 1000\n"), "max_attempts", "callbacks.max_attempts", "20"
    ),
    pytest.param(
        replaced(SHIFT_END, f"{SHIFT_END}    forecast_calls_per_hour: {HUGE}\n"),
        "forecast_calls_per_hour",
        "shifts.0.forecast_calls_per_hour",
        "100000",
    ),
]


@pytest.mark.parametrize(
    ("text", "needle", "field", "bound"), CASES, ids=[c.values[2] for c in CASES]
)
def test_a_number_past_its_bound_is_refused_with_file_line_and_field(
    tmp_path: Path, text: str, needle: str, field: str, bound: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_hotline(path)
    issue = caught.value.first
    assert (issue.file, issue.line, issue.field) == (str(path), line_of(text, needle), field)
    assert f"less than or equal to {bound}" in issue.message


def test_check_config_refuses_a_huge_ring_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _with(f"ring_timeout_s: {HUGE}\n")
    path = write(tmp_path, text)
    manifest = write(tmp_path, SAMPLE_MANIFEST, name="manifest.yaml")
    assert check_config_main([str(path)], manifest) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:{line_of(text, 'ring_timeout_s')}: ring_timeout_s: ")
    assert "less than or equal to 300" in err


def test_the_bounds_leave_the_shipped_and_sample_values_alone(tmp_path: Path) -> None:
    text = _with("ring_timeout_s: 300\nhold_announce_s: 3600\nrouting:\n  wrap_up_s: 3600\n")
    config = load_hotline(write(tmp_path, text))
    assert (config.ring_timeout_s, config.hold_announce_s) == (300, 3600)

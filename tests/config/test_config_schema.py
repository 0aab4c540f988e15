"""The models on their own: built from dicts, as code and tests elsewhere will build them."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from hotline.config import HotlineConfig, ShiftConfig
from tests.config.samples import VALID_YAML


def sample() -> dict[str, Any]:
    data = yaml.safe_load(VALID_YAML)
    assert isinstance(data, dict)
    return data


def test_a_dict_validates() -> None:
    config = HotlineConfig.model_validate(sample())
    assert config.default_language == "kk"
    assert config.opening_minutes is None


def test_cross_checks_also_run_without_the_loader() -> None:
    data = sample()
    data["shifts"][0]["members"] = ["op1", "ghost"]
    with pytest.raises(ValidationError, match=r"shifts\.0\.members\.1: unknown operator 'ghost'"):
        HotlineConfig.model_validate(data)


def test_models_are_frozen() -> None:
    config = HotlineConfig.model_validate(sample())
    with pytest.raises(ValidationError, match="frozen"):
        config.name = "other"  # type: ignore[misc]


def test_queue_for_topic_falls_back_to_the_default_language() -> None:
    data = sample()
    data["languages"] = ["kk", "ru", "en"]
    config = HotlineConfig.model_validate(data)
    queue = config.queue_for_topic("general", "en")
    assert queue is not None
    assert queue.id == "general-kk"
    assert config.queue_for_topic("general", "ru") == config.queue("general-ru")
    assert config.queue_for_topic("unknown", "ru") is None


def test_opening_minutes_across_midnight() -> None:
    data = sample()
    data["hours"] = "20:00-02:00"
    assert HotlineConfig.model_validate(data).opening_minutes == (20 * 60, 26 * 60)


def test_hours_cannot_open_and_close_at_once() -> None:
    data = sample()
    data["hours"] = "09:00-09:00"
    with pytest.raises(ValidationError, match="use '24/7'"):
        HotlineConfig.model_validate(data)


def shift(start: str, end: str) -> ShiftConfig:
    return ShiftConfig(name="s", days=["mon"], start=start, end=end, members=[])


@pytest.mark.parametrize(
    ("start", "end", "start_minute", "end_minute"),
    [
        ("08:00", "20:00", 480, 1200),
        ("20:00", "08:00", 1200, 1920),  # crosses midnight
        ("18:00", "24:00", 1080, 1440),
        ("18:00", "00:00", 1080, 1440),
        ("08:00", "08:00", 480, 1920),  # a full day
    ],
)
def test_shift_minutes(start: str, end: str, start_minute: int, end_minute: int) -> None:
    assert (shift(start, end).start_minute, shift(start, end).end_minute) == (
        start_minute,
        end_minute,
    )


def test_24_00_is_only_an_end() -> None:
    with pytest.raises(ValidationError, match="not a time"):
        shift("24:00", "06:00")


@pytest.mark.parametrize(
    "languages", [[], ["kk", "kk"], ["kk", "de"]], ids=["empty", "twice", "unknown"]
)
def test_languages_are_checked(languages: list[str]) -> None:
    data = sample()
    data["languages"] = languages
    with pytest.raises(ValidationError, match="languages"):
        HotlineConfig.model_validate(data)


def test_menu_choice_weights_come_from_the_start_node() -> None:
    data = sample()
    data["menu"]["nodes"]["main"]["options"]["2"] = {"queue_topic": "general", "weight": 3}
    config = HotlineConfig.model_validate(data)
    assert config.menu_choice_weights() == (["1", "2"], [1.0, 3.0])


def test_a_node_needs_some_weight() -> None:
    data = sample()
    data["menu"]["nodes"]["main"]["options"]["1"]["weight"] = 0
    with pytest.raises(ValidationError, match="weight above 0"):
        HotlineConfig.model_validate(data)


def test_the_closed_prompt_defaults_to_closed_and_the_id() -> None:
    config = HotlineConfig.model_validate(sample())
    assert config.menu.closed_prompt is None
    assert config.closed_prompt == "closed-t1"
    data = sample()
    data["menu"]["closed_prompt"] = "closed-holiday"
    assert HotlineConfig.model_validate(data).closed_prompt == "closed-holiday"
    data["menu"]["closed_prompt"] = "Closed/Hours"
    with pytest.raises(ValidationError, match="not a valid prompt id"):
        HotlineConfig.model_validate(data)


def test_a_hotline_that_may_close_needs_a_valid_closed_prompt() -> None:
    data = sample()
    data["id"] = "HQ.1"  # a valid id, but "closed-HQ.1" is no file name
    assert HotlineConfig.model_validate(data).may_close is False  # 24/7, no holidays: fine
    data["hours"] = "09:00-18:00"
    with pytest.raises(ValidationError, match=r"menu\.closed_prompt: the default closed prompt"):
        HotlineConfig.model_validate(data)
    data["menu"]["closed_prompt"] = "closed-hq"
    assert HotlineConfig.model_validate(data).closed_prompt == "closed-hq"

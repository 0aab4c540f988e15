"""The `routing:` section, the queues' `max_waiting` and the operators' skill fields."""

from __future__ import annotations

from typing import Any, get_args

import pytest
import yaml
from pydantic import ValidationError

from hotline.config import HotlineConfig
from hotline.config.routing import LEVEL_MAX, RoutingStrategy
from hotline.queue import LEVEL_MAX as ACD_LEVEL_MAX
from hotline.queue import ROUTING_STRATEGIES
from tests.config.samples import VALID_YAML


def sample(**routing: Any) -> dict[str, Any]:
    data = yaml.safe_load(VALID_YAML)
    assert isinstance(data, dict)
    if routing:
        data["routing"] = routing
    return data


def test_a_file_without_routing_gets_the_defaults() -> None:
    config = HotlineConfig.model_validate(sample())

    routing = config.routing
    assert (routing.strategy, routing.tier_delay_s, routing.auto_pause_after) == (
        "longest_idle",
        30,
        3,
    )
    assert (routing.wrap_up_s, routing.disposition_required, routing.dispositions) == (
        10,
        False,
        [],
    )
    assert {k: v.limit_s for k, v in routing.pause_reasons.items()} == {
        "break": 900,
        "lunch": 3600,
        "training": None,
    }
    assert all(queue.max_waiting is None for queue in config.queues)
    operator = config.operators[0]
    assert (operator.levels, operator.bilingual, operator.remote) == ({}, False, False)


def test_routing_fields_are_read() -> None:
    data = sample(
        strategy="round_robin",
        wrap_up_s=0,
        disposition_required=True,
        dispositions=["resolved", "callback"],
        pause_reasons={"prayer": {"limit_s": 600}},
    )
    data["queues"][0]["max_waiting"] = 20
    topic = data["operators"][0]["topics"][0]
    data["operators"][0].update(levels={topic: 2}, bilingual=True, remote=True)

    config = HotlineConfig.model_validate(data)

    assert config.routing.strategy == "round_robin"
    assert list(config.routing.pause_reasons) == ["prayer"]
    assert config.queues[0].max_waiting == 20
    assert config.operators[0].levels == {topic: 2}


@pytest.mark.parametrize(
    ("routing", "message"),
    [
        ({"strategy": "best"}, "strategy"),
        ({"disposition_required": True}, "needs a non-empty list of dispositions"),
        ({"dispositions": ["a", "a"]}, "listed twice"),
        ({"pause_reasons": {"no-answer": {}}}, "reserved"),
        ({"auto_pause_after": -1}, "auto_pause_after"),
        ({"wrap_up_s": -1}, "wrap_up_s"),
    ],
)
def test_bad_routing_is_refused(routing: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        HotlineConfig.model_validate(sample(**routing))


def test_levels_must_be_1_to_3_for_the_operators_own_topics() -> None:
    data = sample()
    topic = data["operators"][0]["topics"][0]
    data["operators"][0]["levels"] = {topic: 4}
    with pytest.raises(ValidationError, match="less than or equal to 3"):
        HotlineConfig.model_validate(data)
    data["operators"][0]["levels"] = {"not-theirs": 2}
    with pytest.raises(ValidationError, match="does not take"):
        HotlineConfig.model_validate(data)


def test_the_configuration_offers_what_the_acd_takes() -> None:
    assert get_args(RoutingStrategy) == ROUTING_STRATEGIES
    assert LEVEL_MAX == ACD_LEVEL_MAX

"""The three shipped hotline files load and agree with the dialplan contract."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hotline.config import HotlineConfig, find_hotline, load_hotline

REPO = Path(__file__).resolve().parents[2]
SHIPPED = ["1414", "109", "400-100"]


def dialplan_hotlines() -> dict[str, str]:
    """number -> HOTLINE_ID from [hotline-in] in extensions.conf."""
    text = (REPO / "config" / "asterisk" / "extensions.conf").read_text(encoding="utf-8")
    return dict(re.findall(r"^exten => (\w+),1,Set\(HOTLINE_ID=([\w-]+)\)", text, re.MULTILINE))


@pytest.fixture(params=SHIPPED)
def shipped(request: pytest.FixtureRequest) -> HotlineConfig:
    return load_hotline(find_hotline(request.param))


def test_every_shipped_file_loads(shipped: HotlineConfig) -> None:
    assert shipped.id in SHIPPED
    assert shipped.timezone == "Asia/Almaty"
    assert shipped.languages[:2] == ["kk", "ru"]


def test_every_shipped_hotline_is_in_the_dialplan(shipped: HotlineConfig) -> None:
    assert dialplan_hotlines()[shipped.number] == shipped.id


def test_the_field_notes_are_reflected() -> None:
    egov, city, hq = (load_hotline(find_hotline(hotline_id)) for hotline_id in SHIPPED)
    assert egov.hours == "09:00-21:00"
    remote = [op for op in egov.operators if op.dial.endswith("@trunk")]
    assert len(remote) * 2 == len(egov.operators)  # half work from home on mobiles
    assert {q.topic for q in egov.queues} == {
        "egov-portal",
        "digital-signature",
        "documents",
        "social-payments",
        "missing-persons",  # emergency mode (January 2022)
    }
    assert egov.menu.emergency is not None
    assert egov.queue("missing-persons-ru").priority == 9
    assert city.hours == "24/7"
    assert len(city.shifts) == 4
    assert {q.topic for q in city.queues} == {
        "consultation",
        "incident",
        "suggestion",
        "complaint",
        "gratitude",
    }
    assert hq.hours == "24/7"
    assert {q.topic for q in hq.queues} == {"social-payments", "checkpoints", "other"}
    assert hq.menu.nodes["main"].options["1"].queue_topic == "social-payments"
    digits, weights = hq.menu_choice_weights()
    assert dict(zip(digits, weights, strict=True)) == {"1": 86, "2": 6.8, "0": 7.2}


def test_helpers(shipped: HotlineConfig) -> None:
    for queue in shipped.queues:
        assert shipped.queue(queue.id) is queue
    for operator in shipped.operators:
        assert shipped.operator(operator.id) is operator
        for queue in shipped.queues_for(operator):
            assert queue.topic in operator.topics
            assert queue.language in operator.languages
    with pytest.raises(KeyError):
        shipped.queue("no-such-queue")
    with pytest.raises(KeyError):
        shipped.operator("no-such-operator")

"""load_hotline: valid files load; broken ones give FILE:LINE: field.path: message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hotline.config import ChoiceNode, ConfigError, HotlineConfig, load_hotline
from tests.config.samples import VALID_YAML, line_of, replaced, write

ISSUE_RE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<field>[\w.-]+): (?P<message>.+)$")


def load_error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_hotline(path)
    return caught.value


def test_the_sample_loads(tmp_path: Path) -> None:
    config = load_hotline(write(tmp_path, VALID_YAML))
    assert isinstance(config, HotlineConfig)
    assert config.id == "t1"
    assert config.timezone == "Asia/Almaty"  # the default
    assert config.shifts[0].members == ["op1"]
    assert config.service_level_s == 20


@pytest.mark.parametrize(
    ("old", "new", "needle", "field", "message"),
    [
        pytest.param(
            "    name: One\n",
            "    name: One\n    colour: red\n",
            "colour",
            "operators.0.colour",
            "unknown field",
            id="unknown-field",
        ),
        pytest.param(
            'hours: "24/7"\n',
            'hours: "24/7"\nring_timeout_s: soon\n',
            "ring_timeout_s",
            "ring_timeout_s",
            "valid integer",
            id="wrong-type",
        ),
        pytest.param(
            'start: "08:00"',
            'start: "25:00"',
            "25:00",
            "shifts.0.start",
            "not a time HH:MM",
            id="bad-time",
        ),
        pytest.param(
            "      - op1\n",
            "      - op1\n      - op9\n",
            "op9",
            "shifts.0.members.1",
            "unknown operator 'op9'",
            id="unknown-shift-member",
        ),
        pytest.param(
            '        "1": {queue_topic: general}\n',
            '        "1": {queue_topic: general}\n        "2": {queue_topic: nowhere}\n',
            "nowhere",
            "menu.nodes.main.options.2.queue_topic",
            "no queue for topic 'nowhere'",
            id="unknown-queue-in-menu",
        ),
        pytest.param(
            "dial: PJSIP/op1",
            "dial: PJSIP/op1,,tT",
            "dial:",
            "operators.0.dial",
            "not an Asterisk dial string",
            id="dial-injection",
        ),
        pytest.param(
            "languages: [kk, ru]\nhours",
            "languages: [kk, ru]\ntimezone: Asia/Atlantis\nhours",
            "Atlantis",
            "timezone",
            "unknown time zone",
            id="bad-timezone",
        ),
        pytest.param(
            'hours: "24/7"',
            'hours: "9-21"',
            "hours",
            "hours",
            "'HH:MM-HH:MM'",
            id="bad-hours",
        ),
        pytest.param(
            "language: ru}",
            "language: en}",
            "general-ru",
            "queues.1.language",
            "not among the hotline's languages",
            id="queue-language-not-offered",
        ),
        pytest.param(
            "    languages: [kk, ru]\n",
            "    languages: [kk]\n",
            "general-ru",
            "queues.1.topic",
            "no operator takes topic 'general' in 'ru'",
            id="queue-without-operator",
        ),
        pytest.param(
            "days: [mon, tue]",
            "days: [mon, tuesday]",
            "tuesday",
            "shifts.0.days.1",
            "'mon', 'tue'",
            id="bad-weekday",
        ),
        pytest.param(
            "    topics: [general]\n",
            "    topics: [general, genral]\n",
            "genral",
            "operators.0.topics.1",
            "no queue has topic 'genral'",
            id="operator-topic-typo",
        ),
        pytest.param(
            "  - {id: general-ru, topic: general, language: ru}\n",
            "  - {id: general-ru, topic: general, language: ru, priority: -1}\n",
            "priority: -1",
            "queues.1.priority",
            "greater than or equal to 0",
            id="priority-below-the-acd-range",
        ),
    ],
)
def test_errors_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, needle: str, field: str, message: str
) -> None:
    text = replaced(old, new)
    path = write(tmp_path, text)
    error = load_error(path)
    match = ISSUE_RE.match(str(error).splitlines()[0])
    assert match is not None, str(error)
    assert match["file"] == str(path)
    assert int(match["line"]) == line_of(text, needle)
    assert match["field"] == field
    assert message in match["message"]


def test_missing_field_points_at_its_parent(tmp_path: Path) -> None:
    text = replaced("    dial: PJSIP/op1\n", "")
    error = load_error(write(tmp_path, text))
    assert error.first.field == "operators.0.dial"
    assert error.first.line == line_of(text, "- id: op1")
    assert error.first.message == "required field is missing"


def test_several_problems_are_all_reported_in_line_order(tmp_path: Path) -> None:
    text = replaced('start: "08:00"', 'start: "8am"', replaced("number: ", "numbr: "))
    error = load_error(write(tmp_path, text))
    fields = [issue.field for issue in error.issues]
    assert "numbr" in fields
    assert "shifts.0.start" in fields
    assert [issue.line for issue in error.issues] == sorted(
        issue.line or 0 for issue in error.issues
    )
    assert len(str(error).splitlines()) == len(error.issues)


def test_yaml_syntax_error_gives_its_line(tmp_path: Path) -> None:
    text = replaced("name: Test hotline", "name: Test: hotline: x")
    path = write(tmp_path, text)
    error = load_error(path)
    assert str(error).startswith(f"{path}:{line_of(text, 'Test: hotline')}: YAML syntax error")
    assert "mapping values are not allowed here" in str(error)


def test_unclosed_bracket_is_a_syntax_error(tmp_path: Path) -> None:
    text = replaced("days: [mon, tue]", "days: [mon, tue")
    error = load_error(write(tmp_path, text))
    assert "YAML syntax error" in error.first.message
    # PyYAML sees the unclosed flow sequence where the next key starts.
    assert error.first.line == line_of(text, "start:")


def test_bad_indentation_is_a_syntax_error(tmp_path: Path) -> None:
    text = replaced("    name: One\n", "     name: One\n")
    error = load_error(write(tmp_path, text))
    assert "YAML syntax error" in error.first.message
    assert error.first.line == line_of(text, "name: One")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    error = load_error(path)
    assert str(error) == f"{path}: file not found"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    assert str(load_error(path)) == f"{path}:1: the file is empty"


def test_a_list_instead_of_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "- id: t1\n")
    assert "expected a mapping" in str(load_error(path))


def test_duplicate_key_is_an_error_not_a_silent_override(tmp_path: Path) -> None:
    text = replaced('hours: "24/7"\n', 'hours: "24/7"\nhours: "09:00-18:00"\n')
    error = load_error(write(tmp_path, text))
    assert error.first.field == "hours"
    assert error.first.line == line_of(text, "09:00-18:00")
    assert error.first.message == "duplicate key"


def test_unquoted_times_and_numbers_read_as_intended(tmp_path: Path) -> None:
    # YAML 1.1 would read 20:00 as the integer 1200 and number: 999 as an int.
    text = replaced('start: "08:00"', "start: 20:00", replaced('number: "999"', "number: 999"))
    text = replaced('end: "20:00"', "end: 08:00", text)
    text = replaced('"1": {queue_topic', "1: {queue_topic", text)
    config = load_hotline(write(tmp_path, text))
    assert config.number == "999"
    assert (config.shifts[0].start, config.shifts[0].end) == ("20:00", "08:00")
    main = config.menu.nodes["main"]
    assert isinstance(main, ChoiceNode)
    assert list(main.options) == ["1"]


def test_menu_start_must_name_a_node(tmp_path: Path) -> None:
    text = replaced("menu:\n", "menu:\n  start: welcome\n")
    error = load_error(write(tmp_path, text))
    assert error.first.field == "menu.start"
    assert error.first.line == text.splitlines().index("  start: welcome") + 1
    assert "start node 'welcome'" in error.first.message


def test_menu_option_keys_are_single_digits(tmp_path: Path) -> None:
    text = replaced('"1": {queue_topic', '"12": {queue_topic')
    error = load_error(write(tmp_path, text))
    assert error.first.field == "menu.nodes.main.options"
    assert "one digit" in error.first.message


def test_duplicate_ids(tmp_path: Path) -> None:
    text = replaced("{id: general-ru,", "{id: general-kk,")
    error = load_error(write(tmp_path, text))
    assert any(
        issue.field == "queues.1.id" and "duplicate id 'general-kk'" in issue.message
        for issue in error.issues
    )
    assert error.first.line == line_of(text, "language: ru}")


def test_the_priority_range_is_the_acds() -> None:
    from hotline.config.schema import QUEUE_PRIORITY_MAX
    from hotline.queue import PRIORITY_MAX

    assert QUEUE_PRIORITY_MAX == PRIORITY_MAX


EMERGENCY_SECTION = """\
      after_tries: {{queue_topic: general}}
  emergency:
    announcement: emergency-test
    node: {node}
"""


def test_the_emergency_node_must_exist(tmp_path: Path) -> None:
    text = replaced(
        "      after_tries: {queue_topic: general}\n", EMERGENCY_SECTION.format(node="urgent")
    )
    error = load_error(write(tmp_path, text))
    assert error.first.field == "menu.emergency.node"
    assert error.first.line == line_of(text, "node: urgent")
    assert "'urgent' is not among nodes ['main']" in error.first.message


def test_an_emergency_section_loads(tmp_path: Path) -> None:
    text = replaced(
        "      after_tries: {queue_topic: general}\n", EMERGENCY_SECTION.format(node="main")
    )
    config = load_hotline(write(tmp_path, text))
    assert config.menu.emergency is not None
    assert (config.menu.emergency.announcement, config.menu.emergency.node) == (
        "emergency-test",
        "main",
    )

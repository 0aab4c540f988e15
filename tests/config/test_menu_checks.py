"""Menu checks through `load_hotline`: each rejection names FILE:LINE: field: message, at the
line that is wrong (`hotline.config.menu`, `hotline.config.menu_checks`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.config import ChoiceNode, CollectNode, ConfigError, ConfigIssue, load_hotline
from tests.config.samples import line_of, replaced, write

# VALID_YAML's menu grown to a self-service branch: main 2 -> collect an IIN -> look it up ->
# goodbye, with an operator topic for every node's last try.
MENU_YAML = replaced(
    "      after_tries: {queue_topic: general}\n",
    """\
      after_tries: {queue_topic: general}
    iin:
      kind: collect
      prompt: enter-iin
      min_digits: 12
      max_digits: 12
      validator: iin
      store: iin
      next: {goto: check}
    check:
      kind: lookup
      service: recipients_list
      list: payments
      input: iin
      results:
        found: on-list
        not_found: not-on-list
        error: lookup-failed
      next: {goto: bye}
    bye:
      kind: hangup
""",
    replaced(
        '        "1": {queue_topic: general}\n',
        '        "1": {queue_topic: general}\n        "2": {goto: iin}\n',
        replaced("menu:\n", "menu:\n  operator_topic: general\n"),
    ),
)


def load_error(tmp_path: Path, text: str) -> tuple[Path, ConfigError]:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_hotline(path)
    return path, caught.value


def issue_for(error: ConfigError, field: str) -> ConfigIssue:
    """The one issue about `field`."""
    found = [issue for issue in error.issues if issue.field == field]
    assert len(found) == 1, str(error)
    return found[0]


def assert_rejected(
    tmp_path: Path, text: str, field: str, needle: str, message: str
) -> ConfigError:
    """`text` is refused with an issue about `field` at the line of `needle`, printed as
    FILE:LINE: field: message."""
    path, error = load_error(tmp_path, text)
    issue = issue_for(error, field)
    line = line_of(text, needle)
    assert issue.line == line, str(error)
    assert message in issue.message, str(error)
    assert f"{path}:{line}: {field}: " in str(error).splitlines()[error.issues.index(issue)]
    return error


def test_the_menu_sample_loads(tmp_path: Path) -> None:
    config = load_hotline(write(tmp_path, MENU_YAML))
    assert set(config.menu.nodes) == {"main", "iin", "check", "bye"}
    assert config.menu.nodes["iin"].kind == "collect"


def test_a_choice_node_without_kind_is_a_choice(tmp_path: Path) -> None:
    assert "kind: choice" not in MENU_YAML
    config = load_hotline(write(tmp_path, MENU_YAML))
    main = config.menu.nodes["main"]
    assert isinstance(main, ChoiceNode)
    assert main.kind == "choice"
    # ... and saying it is the same.
    text = replaced("    main:\n", "    main:\n      kind: choice\n", MENU_YAML)
    assert load_hotline(write(tmp_path, text, "t2.yaml")).menu == config.menu


def test_a_goto_to_a_missing_node_is_named_at_the_goto(tmp_path: Path) -> None:
    text = replaced("next: {goto: bye}", "next: {goto: byee}", MENU_YAML)
    error = assert_rejected(
        tmp_path, text, "menu.nodes.check.next.goto", "{goto: byee}", "node 'byee' is not among"
    )
    assert error.first.field == "menu.nodes.check.next.goto"  # in line order: first
    # `bye` is now out of reach too, and said so at its own line.
    assert issue_for(error, "menu.nodes.bye").line == line_of(text, "    bye:")


def test_an_unreachable_node_is_named_at_its_line(tmp_path: Path) -> None:
    text = replaced(
        "    bye:\n",
        "    lonely:\n      kind: hangup\n      prompt: goodbye\n    bye:\n",
        MENU_YAML,
    )
    assert_rejected(tmp_path, text, "menu.nodes.lonely", "lonely:", "cannot be reached from main")


def test_nodes_reached_only_from_the_emergency_or_closed_node_are_reachable(
    tmp_path: Path,
) -> None:
    extra = """\
    urgent:
      kind: queue
      topic: general
      priority: 5
    after-hours:
      kind: goto
      target: bye
  closed_node: after-hours
  emergency:
    announcement: emergency-test
    node: urgent
"""
    text = MENU_YAML.replace("      kind: hangup\n", "      kind: hangup\n" + extra)
    config = load_hotline(write(tmp_path, text))
    assert config.menu.closed_node == "after-hours"
    assert config.menu.emergency is not None


def test_a_topic_without_a_queue(tmp_path: Path) -> None:
    text = replaced('"2": {goto: iin}', '"2": {queue_topic: nowhere}', MENU_YAML)
    # (iin and what follows are out of reach now: only the topic's issue is checked here.)
    assert_rejected(
        tmp_path,
        text,
        "menu.nodes.main.options.2.queue_topic",
        "nowhere",
        "no queue for topic 'nowhere' in the default language 'kk'",
    )


def test_a_queue_node_topic_without_a_queue(tmp_path: Path) -> None:
    text = replaced(
        "    bye:\n      kind: hangup\n",
        "    bye:\n      kind: queue\n      topic: billing\n",
        MENU_YAML,
    )
    assert_rejected(tmp_path, text, "menu.nodes.bye.topic", "topic: billing", "'billing'")


def test_a_topic_with_a_queue_in_another_language_only(tmp_path: Path) -> None:
    # The IVR falls back to the default language's queue, so that is the one required.
    text = replaced(
        "  - {id: general-ru, topic: general, language: ru}\n",
        "  - {id: general-ru, topic: general, language: ru}\n"
        "  - {id: billing-ru, topic: billing, language: ru}\n",
        MENU_YAML,
    )
    text = replaced("    topics: [general]\n", "    topics: [general, billing]\n", text)
    text = replaced(
        '"2": {goto: iin}', '"2": {goto: iin}\n        "3": {queue_topic: billing}', text
    )
    assert_rejected(
        tmp_path,
        text,
        "menu.nodes.main.options.3.queue_topic",
        "{queue_topic: billing}",
        "no queue for topic 'billing' in the default language 'kk'",
    )


def test_an_asking_node_without_after_tries_needs_an_operator_topic(tmp_path: Path) -> None:
    text = replaced("  operator_topic: general\n", "", MENU_YAML)
    error = assert_rejected(
        tmp_path, text, "menu.nodes.iin.after_tries", "    iin:", "Set after_tries"
    )
    # main has its own after_tries: fine.
    assert all(issue.field != "menu.nodes.main.after_tries" for issue in error.issues)
    # With after_tries on the collect node the file loads without an operator topic.
    text = replaced(
        "      store: iin\n", "      store: iin\n      after_tries: {goto: bye}\n", text
    )
    config = load_hotline(write(tmp_path, text, "t2.yaml"))
    assert config.menu.operator_topic is None


def test_a_lookup_input_that_no_collect_node_stores(tmp_path: Path) -> None:
    text = replaced("      input: iin\n", "      input: inn\n", MENU_YAML)
    assert_rejected(
        tmp_path, text, "menu.nodes.check.input", "input: inn", "no collect node stores 'inn'"
    )


def test_a_loop_of_goto_nodes(tmp_path: Path) -> None:
    text = replaced('"2": {goto: iin}', '"2": {goto: iin}\n        "3": {goto: ping}', MENU_YAML)
    text = replaced(
        "    bye:\n",
        "    ping:\n      kind: goto\n      target: pong\n"
        "    pong:\n      kind: goto\n      target: ping\n    bye:\n",
        text,
    )
    error = assert_rejected(
        tmp_path, text, "menu.nodes.ping.target", "target: pong", "loop back to 'ping'"
    )
    assert issue_for(error, "menu.nodes.pong.target").line == line_of(text, "target: ping")


def test_a_goto_chain_that_ends_in_a_node_is_fine(tmp_path: Path) -> None:
    text = replaced('"2": {goto: iin}', '"2": {goto: iin}\n        "3": {goto: ping}', MENU_YAML)
    text = replaced(
        "    bye:\n",
        "    ping:\n      kind: goto\n      target: pong\n"
        "    pong:\n      kind: goto\n      target: bye\n    bye:\n",
        text,
    )
    load_hotline(write(tmp_path, text))


@pytest.mark.parametrize(
    "reserved", ["language", "greeting", "emergency-announcement", "closed-hours"]
)
def test_a_reserved_node_id(tmp_path: Path, reserved: str) -> None:
    text = replaced("    bye:\n", f"    {reserved}:\n", MENU_YAML)
    text = replaced("next: {goto: bye}", f"next: {{goto: {reserved}}}", text)
    assert_rejected(tmp_path, text, f"menu.nodes.{reserved}", f"    {reserved}:", "is reserved")


def test_operator_digit_without_operator_topic(tmp_path: Path) -> None:
    text = replaced("  operator_topic: general\n", '  operator_digit: "0"\n', MENU_YAML)
    text = replaced(
        "      store: iin\n", "      store: iin\n      after_tries: {goto: bye}\n", text
    )
    _, error = load_error(tmp_path, text)
    assert [issue.field for issue in error.issues] == ["menu.operator_digit"]
    assert error.first.line == line_of(text, "operator_digit")
    assert "needs menu.operator_topic" in error.first.message


@pytest.mark.parametrize("digit", ['"*"', '"12"', "a"])
def test_operator_digit_is_one_key(tmp_path: Path, digit: str) -> None:
    text = replaced("menu:\n", f"menu:\n  operator_digit: {digit}\n", MENU_YAML)
    assert_rejected(tmp_path, text, "menu.operator_digit", "operator_digit", "pattern")


def test_operator_digit_unquoted_is_read_as_a_key(tmp_path: Path) -> None:
    text = replaced("menu:\n", "menu:\n  operator_digit: 0\n", MENU_YAML)
    assert load_hotline(write(tmp_path, text)).menu.operator_digit == "0"


def test_collect_min_above_max_is_named_at_the_node(tmp_path: Path) -> None:
    text = replaced(
        "      min_digits: 12\n      max_digits: 12\n      validator: iin\n",
        "      min_digits: 5\n      max_digits: 4\n",
        MENU_YAML,
    )
    # A check of the node as a whole: the node's line, the field path without the
    # union tag pydantic adds ('collect').
    assert_rejected(
        tmp_path, text, "menu.nodes.iin", "    iin:", "min_digits 5 is above max_digits 4"
    )


@pytest.mark.parametrize("length", [11, 13])
def test_an_iin_collect_must_have_12_digits(tmp_path: Path, length: int) -> None:
    text = replaced(
        "      min_digits: 12\n      max_digits: 12\n",
        f"      min_digits: {length}\n      max_digits: {length}\n",
        MENU_YAML,
    )
    assert_rejected(tmp_path, text, "menu.nodes.iin", "    iin:", "an IIN has 12 digits")


def test_digits_collect_of_any_length_loads(tmp_path: Path) -> None:
    text = replaced(
        "      min_digits: 12\n      max_digits: 12\n      validator: iin\n",
        "      min_digits: 3\n      max_digits: 6\n",
        MENU_YAML,
    )
    node = load_hotline(write(tmp_path, text)).menu.nodes["iin"]
    assert isinstance(node, CollectNode)
    assert (node.min_digits, node.max_digits, node.validator) == (3, 6, "digits")


def test_collect_field_errors_name_the_field_line(tmp_path: Path) -> None:
    text = replaced("      max_digits: 12\n", "      max_digits: 21\n", MENU_YAML)
    assert_rejected(
        tmp_path, text, "menu.nodes.iin.max_digits", "max_digits: 21", "less than or equal to 20"
    )
    text = replaced("      store: iin\n", "      store: iin\n      colour: red\n", MENU_YAML)
    assert_rejected(tmp_path, text, "menu.nodes.iin.colour", "colour", "unknown field")
    text = replaced("      store: iin\n", "", MENU_YAML)
    assert_rejected(tmp_path, text, "menu.nodes.iin.store", "    iin:", "required field is missing")


def test_a_lookup_missing_a_result_prompt(tmp_path: Path) -> None:
    text = replaced("        error: lookup-failed\n", "", MENU_YAML)
    assert_rejected(
        tmp_path, text, "menu.nodes.check", "    check:", "results need a prompt for ['error']"
    )


def test_a_recipients_list_lookup_needs_its_list(tmp_path: Path) -> None:
    text = replaced("      list: payments\n", "", MENU_YAML)
    assert_rejected(tmp_path, text, "menu.nodes.check", "    check:", "'list'")


def test_an_unknown_node_kind(tmp_path: Path) -> None:
    text = replaced("      kind: hangup\n", "      kind: hangpu\n", MENU_YAML)
    assert_rejected(tmp_path, text, "menu.nodes.bye", "    bye:", "'hangpu'")


def test_a_target_needs_exactly_one_of_goto_and_queue_topic(tmp_path: Path) -> None:
    text = replaced("next: {goto: bye}", "next: {goto: bye, queue_topic: general}", MENU_YAML)
    assert_rejected(tmp_path, text, "menu.nodes.check.next", "next: {goto: bye,", "exactly one")


def test_a_missing_closed_or_emergency_node(tmp_path: Path) -> None:
    text = replaced("menu:\n", "menu:\n  closed_node: after-hours\n", MENU_YAML)
    assert_rejected(
        tmp_path, text, "menu.closed_node", "closed_node", "'after-hours' is not among nodes"
    )


def test_several_menu_problems_are_all_reported_in_line_order(tmp_path: Path) -> None:
    text = replaced("      input: iin\n", "      input: inn\n", MENU_YAML)
    text = replaced("next: {goto: bye}", "next: {goto: byee}", text)
    _, error = load_error(tmp_path, text)
    fields = [issue.field for issue in error.issues]
    assert {"menu.nodes.check.input", "menu.nodes.check.next.goto", "menu.nodes.bye"} <= set(fields)
    assert [issue.line for issue in error.issues] == sorted(
        issue.line or 0 for issue in error.issues
    )

"""Every node kind of the menu engine, on a small purpose-built menu.

The shipped hotlines' menus are driven in `test_ivr_machine`; here each rule of
`hotline.ivr.machine` is pinned on a menu made to show it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from hotline.config import GotoNode, HotlineConfig, load_hotline
from hotline.ivr import (
    Action,
    Callback,
    CallerHungUp,
    CollectDigits,
    DigitsEntered,
    Enqueue,
    Event,
    Finish,
    Hangup,
    IvrMachine,
    Lookup,
    LookupDone,
    NoInput,
    Play,
    PlayFinished,
    State,
)
from hotline.ivr.machine import MAX_REPEATS
from tests.ivr.drive import is_terminal, run

VALID_IIN = "900101300334"
WRONG_CHECK_DIGIT = "900101300335"

NODES_YAML = """\
id: nodes
number: "998"
name: Node kinds test hotline
languages: [kk, ru]
hours: "24/7"
menu:
  greeting: hello
  operator_topic: general
  operator_digit: "0"
  closed_node: after-hours
  nodes:
    main:
      prompt: main-menu
      options:
        "1": {goto: news}
        "2": {goto: iin}
        "3": {goto: number}
        "4": {goto: urgent}
        "5": {goto: offer}
        "6": {goto: to-bye}
        "7": {queue_topic: billing}
    news:
      kind: announcement
      prompt: news
      next: {goto: pick}
    pick:
      prompt: pick
      tries: 2
      options:
        "1": {queue_topic: billing}
        "0": {queue_topic: billing}
    iin:
      kind: collect
      prompt: enter-iin
      min_digits: 12
      max_digits: 12
      validator: iin
      invalid_prompt: iin-invalid
      timeout_s: 10
      store: iin
      next: {goto: check}
      after_tries: {queue_topic: billing}
    check:
      kind: lookup
      service: recipients_list
      list: payments
      input: iin
      results: {found: on-list, not_found: not-on-list, error: lookup-failed}
      next: {goto: more}
    more:
      prompt: more
      options:
        "1": {queue_topic: general}
        "2": {goto: bye}
      after_tries: {goto: bye}
    number:
      kind: collect
      prompt: enter-number
      min_digits: 3
      max_digits: 6
      tries: 2
      timeout_s: 7
      store: request
      next: {goto: status}
    status:
      kind: lookup
      service: request_status
      input: request
      results: {done: status-done, not_found: status-not-found, error: lookup-failed}
      next: {goto: bye}
    urgent:
      kind: queue
      topic: general
      priority: 7
    offer:
      kind: callback
      prompt: offer
      confirm_prompt: confirmed
      topic: billing
      decline: {goto: main}
    to-bye:
      kind: goto
      target: bye
    bye:
      kind: hangup
      prompt: goodbye
    after-hours:
      prompt: after-hours-menu
      options:
        "1": {goto: number}
        "2": {queue_topic: general}
      after_tries: {goto: bye}
    emergency-menu:
      prompt: emergency-menu
      options:
        "1": {queue_topic: general}
  emergency:
    announcement: emergency-news
    node: emergency-menu
queues:
  - {id: general-kk, topic: general, language: kk, priority: 2}
  - {id: general-ru, topic: general, language: ru, priority: 2}
  - {id: billing-kk, topic: billing, language: kk, priority: 1}
  - {id: billing-ru, topic: billing, language: ru, priority: 1}
operators:
  - {id: op1, name: One, dial: PJSIP/op1, topics: [general, billing], languages: [kk, ru]}
shifts:
  - {name: day, days: [mon, tue], start: "08:00", end: "20:00", members: [op1]}
"""


def nodes_data() -> dict[str, Any]:
    data = yaml.safe_load(NODES_YAML)
    assert isinstance(data, dict)
    return data


CONFIG = HotlineConfig.model_validate(nodes_data())

RU = DigitsEntered("2")
# The language, the greeting played out: the main menu is asked in Russian.
TO_MAIN: list[Event] = [RU, PlayFinished()]
MAIN = CollectDigits("main-menu", "ru", 1, 5.0)
PICK = CollectDigits("pick", "ru", 1, 5.0)
ENTER_IIN = CollectDigits("enter-iin", "ru", 12, 10.0)
ENTER_NUMBER = CollectDigits("enter-number", "ru", 6, 7.0)
MORE = CollectDigits("more", "ru", 1, 5.0)
OFFER = CollectDigits("offer", "ru", 1, 5.0)
AFTER_HOURS = CollectDigits("after-hours-menu", "ru", 1, 5.0)
GENERAL = Enqueue("general-ru", "general", "ru", 2)
BILLING = Enqueue("billing-ru", "billing", "ru", 1)
INVALID = Play("invalid-choice", "ru")


def go(events: list[Event], **kwargs: bool) -> tuple[IvrMachine, list[Action]]:
    return run(CONFIG, events, **kwargs)


def test_the_menu_loads_through_the_loader(tmp_path: Path) -> None:
    path = tmp_path / "nodes.yaml"
    path.write_text(NODES_YAML, encoding="utf-8")
    assert load_hotline(path) == CONFIG


def test_a_choice_node_without_kind_is_a_choice() -> None:
    assert CONFIG.menu.nodes["main"].kind == "choice"


# --- announcement -----------------------------------------------------------------------------


def test_announcement_plays_then_goes_on() -> None:
    machine, actions = go([*TO_MAIN, DigitsEntered("1"), PlayFinished(), DigitsEntered("1")])
    assert actions[2:] == [MAIN, Play("news", "ru"), PICK, BILLING]
    assert machine.path == ("language:ru", "main:1", "pick:1")


def test_a_key_during_an_announcement_answers_the_following_choice() -> None:
    machine, actions = go([*TO_MAIN, DigitsEntered("1"), DigitsEntered("1")])
    assert actions[-2:] == [Play("news", "ru"), BILLING]
    assert machine.path == ("language:ru", "main:1", "pick:1")
    # A wrong key there is a wrong answer to the choice.
    machine, actions = go([*TO_MAIN, DigitsEntered("1"), DigitsEntered("9")])
    assert actions[-1] == INVALID
    assert machine.path[-1] == "pick:invalid"


def test_no_input_during_an_announcement_ends_it() -> None:
    _, actions = go([*TO_MAIN, DigitsEntered("1"), NoInput()])
    assert actions[-1] == PICK


def test_a_key_during_the_greeting_answers_the_start_node() -> None:
    machine, actions = go([RU, DigitsEntered("4")])
    assert actions == [
        CollectDigits("choose-language", "kk", 1, 5.0),
        Play("hello", "ru"),
        Enqueue("general-ru", "general", "ru", 7),
    ]
    assert machine.path == ("language:ru", "main:4")


# --- collect ----------------------------------------------------------------------------------


def test_collect_a_valid_iin_is_stored_and_looked_up() -> None:
    machine, actions = go([*TO_MAIN, DigitsEntered("2"), DigitsEntered(VALID_IIN)])
    assert actions[-2:] == [ENTER_IIN, Lookup("recipients_list", VALID_IIN, "payments")]
    assert machine.state is State.LOOKUP
    assert machine.path == ("language:ru", "main:2", "iin:ok")


@pytest.mark.parametrize(
    "entry",
    [WRONG_CHECK_DIGIT, VALID_IIN[:11], "991301300334", "0", "#"],
    ids=["check-digit", "too-short", "bad-date", "operator-digit-is-data", "hash"],
)
def test_collect_an_invalid_iin_plays_the_invalid_prompt_and_asks_again(entry: str) -> None:
    machine, actions = go([*TO_MAIN, DigitsEntered("2"), DigitsEntered(entry), PlayFinished()])
    assert actions[-2:] == [Play("iin-invalid", "ru"), ENTER_IIN]
    assert machine.path == ("language:ru", "main:2", "iin:invalid")
    assert machine.state is State.MENU
    # ... and the right number then goes through.
    assert machine.handle(DigitsEntered(VALID_IIN)) == Lookup(
        "recipients_list", VALID_IIN, "payments"
    )


def test_collect_a_key_during_the_invalid_prompt_is_not_the_start_of_a_number() -> None:
    # The first digit would be cut off: the node asks again instead.
    _, actions = go([*TO_MAIN, DigitsEntered("2"), DigitsEntered("1"), DigitsEntered("9")])
    assert actions[-2:] == [Play("iin-invalid", "ru"), ENTER_IIN]


def test_collect_a_hash_ended_number_between_min_and_max() -> None:
    # Asterisk stops reading at '#' and does not return it: "123#" arrives as "123".
    for number in ("123", "1234", "123456"):
        machine, actions = go([*TO_MAIN, DigitsEntered("3"), DigitsEntered(number)])
        assert actions[-2:] == [ENTER_NUMBER, Lookup("request_status", number, None)]
        assert machine.path[-1] == "number:ok"
    for number in ("12", "1234567", "12a", "12*"):
        machine, actions = go([*TO_MAIN, DigitsEntered("3"), DigitsEntered(number)])
        # No invalid_prompt on this node: the menu's.
        assert actions[-1] == INVALID, number
        assert machine.path[-1] == "number:invalid"


def test_collect_star_repeats_the_prompt() -> None:
    machine, actions = go([*TO_MAIN, DigitsEntered("3"), DigitsEntered("*")])
    assert actions[-2:] == [ENTER_NUMBER, ENTER_NUMBER]
    assert machine.path[-1] == "number:repeat"


def test_collect_timeouts_use_the_tries_then_the_operator_topic() -> None:
    # `number` has no after_tries: menu.operator_topic.
    machine, actions = go([*TO_MAIN, DigitsEntered("3"), NoInput(), NoInput()])
    assert actions[-3:] == [ENTER_NUMBER, ENTER_NUMBER, GENERAL]
    assert machine.path == (
        "language:ru",
        "main:3",
        "number:timeout",
        "number:timeout",
        "number:default",
    )


def test_collect_after_tries() -> None:
    events = [*TO_MAIN, DigitsEntered("2")]
    events += [DigitsEntered(WRONG_CHECK_DIGIT), PlayFinished(), NoInput()]
    events += [DigitsEntered("1")]
    machine, actions = go(events)
    assert actions[-1] == BILLING
    assert machine.path[-4:] == ("iin:invalid", "iin:timeout", "iin:invalid", "iin:default")
    assert machine.topic == "billing"


def test_collect_the_number_never_shows_in_the_path() -> None:
    machine, _ = go([*TO_MAIN, DigitsEntered("2"), DigitsEntered(VALID_IIN), LookupDone("found")])
    assert all(VALID_IIN not in step for step in machine.path)


# --- lookup -----------------------------------------------------------------------------------

TO_CHECK: list[Event] = [*TO_MAIN, DigitsEntered("2"), DigitsEntered(VALID_IIN)]


@pytest.mark.parametrize(
    ("result", "prompt", "step"),
    [
        ("found", "on-list", "check:found"),
        ("not_found", "not-on-list", "check:not_found"),
        ("error", "lookup-failed", "check:error"),
        ("registered", "lookup-failed", "check:error"),  # a result without a prompt
    ],
)
def test_lookup_plays_the_result_prompt(result: str, prompt: str, step: str) -> None:
    machine, actions = go([*TO_CHECK, LookupDone(result), PlayFinished()])
    assert actions[-2:] == [Play(prompt, "ru"), MORE]
    assert machine.path[-1] == step


def test_lookup_request_status() -> None:
    machine, actions = go(
        [*TO_MAIN, DigitsEntered("3"), DigitsEntered("4711"), LookupDone("done"), PlayFinished()]
    )
    assert actions[-3:] == [
        Lookup("request_status", "4711", None),
        Play("status-done", "ru"),
        Hangup("goodbye", "ru", "self_served"),
    ]
    assert machine.path[-2:] == ("number:ok", "status:done")


def test_lookup_an_event_other_than_its_answer_is_an_error() -> None:
    machine, actions = go([*TO_CHECK, DigitsEntered("1")])
    assert actions[-1] == Play("lookup-failed", "ru")
    assert machine.path[-1] == "check:error"


def test_a_key_during_the_result_answers_the_following_choice() -> None:
    _, actions = go([*TO_CHECK, LookupDone("found"), DigitsEntered("1")])
    assert actions[-1] == GENERAL


def test_lookup_without_a_stored_value_is_an_error() -> None:
    # Unreachable in a checked menu (a collect node stores every input); no crash either.
    data = nodes_data()
    data["menu"]["nodes"]["main"]["options"]["8"] = {"goto": "check"}
    machine, actions = run(
        HotlineConfig.model_validate(data), [*TO_MAIN, DigitsEntered("8"), PlayFinished()]
    )
    assert actions[-2:] == [Play("lookup-failed", "ru"), MORE]
    assert machine.path[-1] == "check:error"


# --- queue, goto, hangup ----------------------------------------------------------------------


def test_queue_node_overrides_the_priority() -> None:
    machine, actions = go([*TO_MAIN, DigitsEntered("4")])
    assert actions[-1] == Enqueue("general-ru", "general", "ru", 7)
    assert CONFIG.queue("general-ru").priority == 2
    assert machine.topic == "general"


def test_a_queue_node_without_priority_uses_the_queues() -> None:
    data = nodes_data()
    del data["menu"]["nodes"]["urgent"]["priority"]
    _, actions = run(HotlineConfig.model_validate(data), [*TO_MAIN, DigitsEntered("4")])
    assert actions[-1] == GENERAL


def test_goto_then_hangup_node_self_served() -> None:
    machine, actions = go([*TO_MAIN, DigitsEntered("6")])
    assert actions[-1] == Hangup("goodbye", "ru", "self_served")
    assert machine.path == ("language:ru", "main:6")
    assert machine.node_name == "bye"
    assert machine.state is State.DONE


def test_a_hangup_node_without_prompt() -> None:
    data = nodes_data()
    del data["menu"]["nodes"]["bye"]["prompt"]
    _, actions = run(HotlineConfig.model_validate(data), [*TO_MAIN, DigitsEntered("6")])
    assert actions[-1] == Hangup(None, "ru", "self_served")


def test_a_loop_of_goto_nodes_goes_to_an_operator() -> None:
    # check-config refuses it; a menu built around the checks still never spins.
    nodes = dict(CONFIG.menu.nodes)
    nodes["to-bye"] = GotoNode(kind="goto", target="loop")
    nodes["loop"] = GotoNode(kind="goto", target="to-bye")
    looping = CONFIG.model_copy(update={"menu": CONFIG.menu.model_copy(update={"nodes": nodes})})
    _, actions = run(looping, [*TO_MAIN, DigitsEntered("6")])
    assert actions[-1] == GENERAL


# --- callback ---------------------------------------------------------------------------------


def test_callback_accept_confirms_then_registers() -> None:
    machine, actions = go([*TO_MAIN, DigitsEntered("5"), DigitsEntered("1"), PlayFinished()])
    assert actions[-3:] == [
        OFFER,
        Play("confirmed", "ru"),
        Callback("billing-ru", "billing", "ru", 1),
    ]
    assert machine.path == ("language:ru", "main:5", "offer:accept")
    assert machine.topic == "billing"
    assert machine.state is State.DONE


@pytest.mark.parametrize("event", [CallerHungUp(), DigitsEntered("3"), NoInput()])
def test_callback_anything_during_the_confirmation_still_registers(event: Event) -> None:
    _, actions = go([*TO_MAIN, DigitsEntered("5"), DigitsEntered("1"), event])
    assert actions[-1] == Callback("billing-ru", "billing", "ru", 1)


def test_callback_decline_goes_to_the_decline_target() -> None:
    machine, actions = go([*TO_MAIN, DigitsEntered("5"), DigitsEntered("2")])
    assert actions[-1] == MAIN
    assert machine.path == ("language:ru", "main:5", "offer:decline")
    assert machine.node_name == "main"


def test_callback_other_keys_are_wrong_and_the_operator_key_works() -> None:
    machine, actions = go([*TO_MAIN, DigitsEntered("5"), DigitsEntered("3")])
    assert actions[-1] == INVALID
    assert machine.path[-1] == "offer:invalid"
    machine, actions = go([*TO_MAIN, DigitsEntered("5"), DigitsEntered("0")])
    assert actions[-1] == GENERAL
    assert machine.path[-1] == "offer:operator"


def test_callback_silence_ends_with_an_operator() -> None:
    _, actions = go([*TO_MAIN, DigitsEntered("5"), NoInput(), NoInput(), NoInput()])
    assert actions[-1] == GENERAL


# --- operator digit, repeats ------------------------------------------------------------------


def test_operator_digit_reaches_the_operator_topic() -> None:
    machine, actions = go([*TO_MAIN, DigitsEntered("0")])
    assert actions[-1] == GENERAL
    assert machine.path == ("language:ru", "main:operator")


def test_a_nodes_own_option_for_the_operator_digit_wins() -> None:
    machine, actions = go([*TO_MAIN, DigitsEntered("1"), PlayFinished(), DigitsEntered("0")])
    assert actions[-1] == BILLING
    assert machine.path[-1] == "pick:0"


def test_without_an_operator_digit_zero_is_a_wrong_key() -> None:
    data = nodes_data()
    del data["menu"]["operator_digit"]
    machine, actions = run(HotlineConfig.model_validate(data), [*TO_MAIN, DigitsEntered("0")])
    assert actions[-1] == INVALID
    assert machine.path[-1] == "main:invalid"


def test_star_repeats_up_to_the_limit_then_counts_as_wrong() -> None:
    machine, actions = go([*TO_MAIN, *[DigitsEntered("*")] * MAX_REPEATS])
    assert actions[2:] == [MAIN] * (MAX_REPEATS + 1)
    assert machine.path[1:] == ("main:repeat",) * MAX_REPEATS
    assert machine.handle(DigitsEntered("*")) == INVALID
    assert machine.path[-1] == "main:invalid"


def test_the_repeat_limit_is_per_step() -> None:
    stars: list[Event] = [DigitsEntered("*")] * MAX_REPEATS
    machine, actions = go([*TO_MAIN, *stars, DigitsEntered("3"), *stars])
    assert actions[-1] == ENTER_NUMBER
    assert machine.path[-1] == "number:repeat"


# --- closed hours -----------------------------------------------------------------------------


def test_closed_the_closed_node_offers_self_service() -> None:
    events: list[Event] = [
        RU,
        PlayFinished(),
        DigitsEntered("1"),
        DigitsEntered("4711"),
        LookupDone("done"),
    ]
    machine, actions = go([*events, PlayFinished()], open_now=False)
    assert actions == [
        CollectDigits("choose-language", "kk", 1, 5.0),
        Play("closed-nodes", "ru"),  # the hours, not the greeting
        AFTER_HOURS,
        ENTER_NUMBER,
        Lookup("request_status", "4711", None),
        Play("status-done", "ru"),
        Hangup("goodbye", "ru", "self_served"),  # answered by the self-service
    ]
    assert machine.path == ("language:ru", "after-hours:1", "number:ok", "status:done")


def test_closed_a_queue_target_ends_the_call_as_closed() -> None:
    machine, actions = go([RU, PlayFinished(), DigitsEntered("2")], open_now=False)
    assert actions[-1] == Finish(
        "closed", "outside opening hours; wanted an operator", "after-hours"
    )
    assert machine.topic is None
    # ... and so do the operator key and the operator after the last try.
    _, actions = go([RU, PlayFinished(), DigitsEntered("1"), NoInput(), NoInput()], open_now=False)
    assert actions[-1] == Finish("closed", "outside opening hours; wanted an operator", "number")


def test_closed_a_key_during_the_hours_answers_the_closed_node() -> None:
    _, actions = go([RU, DigitsEntered("1")], open_now=False)
    assert actions[-2:] == [Play("closed-nodes", "ru"), ENTER_NUMBER]


def test_closed_a_goodbye_without_self_service_is_closed() -> None:
    _, actions = go([RU, PlayFinished(), NoInput(), NoInput(), NoInput()], open_now=False)
    assert actions[-1] == Hangup("goodbye", "ru", "closed")


def test_closed_a_failed_lookup_is_not_self_service() -> None:
    events: list[Event] = [
        RU,
        PlayFinished(),
        DigitsEntered("1"),
        DigitsEntered("4711"),
        LookupDone("error"),
    ]
    _, actions = go([*events, PlayFinished()], open_now=False)
    assert actions[-1] == Hangup("goodbye", "ru", "closed")


def test_closed_without_a_closed_node_the_call_ends_after_the_hours() -> None:
    data = nodes_data()
    del data["menu"]["closed_node"]
    data["menu"]["nodes"]["main"]["options"]["8"] = {"goto": "after-hours"}
    _, actions = run(HotlineConfig.model_validate(data), [RU, PlayFinished()], open_now=False)
    assert actions[-1] == Finish("closed", "outside opening hours", "closed-hours")


# --- emergency --------------------------------------------------------------------------------


def test_emergency_announcement_then_the_emergency_node() -> None:
    machine, actions = go([RU, PlayFinished(), DigitsEntered("1")], emergency=True)
    assert actions[1:] == [
        Play("emergency-news", "ru"),
        CollectDigits("emergency-menu", "ru", 1, 5.0),
        GENERAL,
    ]
    assert machine.path == ("language:ru", "emergency-menu:1")


def test_emergency_silence_at_the_node_reaches_the_operator_topic() -> None:
    _, actions = go([RU, PlayFinished(), NoInput(), NoInput(), NoInput()], emergency=True)
    assert actions[-1] == GENERAL


# --- hanging up -------------------------------------------------------------------------------

# (events, open_now, emergency) -> where the caller hangs up, the state there, the outcome.
HANGUPS: list[tuple[str, list[Event], bool, bool, str, State, str]] = [
    ("language", [], True, False, "language", State.LANGUAGE, "abandoned"),
    (
        "language-retry",
        [DigitsEntered("9")],
        True,
        False,
        "language",
        State.LANGUAGE_RETRY,
        "abandoned",
    ),
    ("greeting", [RU], True, False, "greeting", State.GREETING, "abandoned"),
    ("announcement", [RU], True, True, "emergency-announcement", State.ANNOUNCEMENT, "abandoned"),
    ("closed-hours", [RU], False, False, "closed-hours", State.CLOSED, "closed"),
    ("closed-node", [RU, PlayFinished()], False, False, "after-hours", State.MENU, "closed"),
    ("choice", TO_MAIN, True, False, "main", State.MENU, "abandoned"),
    (
        "choice-retry",
        [*TO_MAIN, DigitsEntered("9")],
        True,
        False,
        "main",
        State.MENU_RETRY,
        "abandoned",
    ),
    ("playing", [*TO_MAIN, DigitsEntered("1")], True, False, "news", State.PLAYING, "abandoned"),
    ("collect", [*TO_MAIN, DigitsEntered("2")], True, False, "iin", State.MENU, "abandoned"),
    (
        "collect-retry",
        [*TO_MAIN, DigitsEntered("2"), DigitsEntered("1")],
        True,
        False,
        "iin",
        State.MENU_RETRY,
        "abandoned",
    ),
    ("lookup", TO_CHECK, True, False, "check", State.LOOKUP, "abandoned"),
    ("result", [*TO_CHECK, LookupDone("found")], True, False, "check", State.RESULT, "self_served"),
    (
        "result-error",
        [*TO_CHECK, LookupDone("error")],
        True,
        False,
        "check",
        State.RESULT,
        "abandoned",
    ),
    (
        "after-result",
        [*TO_CHECK, LookupDone("not_found"), PlayFinished()],
        True,
        False,
        "more",
        State.MENU,
        "self_served",
    ),
    (
        "after-error",
        [*TO_CHECK, LookupDone("error"), PlayFinished()],
        True,
        False,
        "more",
        State.MENU,
        "abandoned",
    ),
    ("offer", [*TO_MAIN, DigitsEntered("5")], True, False, "offer", State.MENU, "abandoned"),
    (
        "closed-after-lookup",
        [RU, PlayFinished(), DigitsEntered("1"), DigitsEntered("4711"), LookupDone("done")],
        False,
        False,
        "status",
        State.RESULT,
        "self_served",
    ),
]


@pytest.mark.parametrize(
    ("events", "open_now", "emergency", "where", "state", "outcome"),
    [pytest.param(*case[1:], id=case[0]) for case in HANGUPS],
)
def test_hang_up_anywhere_finishes_where_the_caller_was(
    events: list[Event], open_now: bool, emergency: bool, where: str, state: State, outcome: str
) -> None:
    machine, _ = go(events, open_now=open_now, emergency=emergency)
    assert (machine.state, machine.where) == (state, where)
    action = machine.handle(CallerHungUp())
    assert isinstance(action, Finish)
    assert (action.outcome, action.node) == (outcome, where)
    assert machine.state is State.DONE
    assert machine.where == where  # the record reads it after the end
    assert machine.topic is None
    assert machine.handle(CallerHungUp()) == action


def test_every_state_but_confirm_and_done_is_among_the_hang_up_cases() -> None:
    covered = {case[5] for case in HANGUPS}
    assert covered == set(State) - {State.NEW, State.CONFIRM, State.DONE}


# --- any events -------------------------------------------------------------------------------

any_event = st.one_of(
    st.builds(DigitsEntered, st.sampled_from(list("0123456789*#")) | st.text(max_size=4)),
    st.builds(DigitsEntered, st.sampled_from([VALID_IIN, WRONG_CHECK_DIGIT, "4711", "12"])),
    st.just(NoInput()),
    st.just(PlayFinished()),
    st.builds(LookupDone, st.sampled_from(["found", "not_found", "done", "error", "odd"])),
    st.just(CallerHungUp()),
)
# A caller who gets nowhere: wrong keys (no node here has option 9), silence, '*', events that
# do not fit.
unhelpful_event = st.sampled_from(
    [DigitsEntered("9"), DigitsEntered("*"), DigitsEntered(""), NoInput(), PlayFinished()]
)
# Per step at most `tries` wrong entries, each with its invalid prompt, and MAX_REPEATS '*';
# a few steps from any node to a terminal action.
UNHELPFUL_BOUND = 120


@given(
    prefix=st.lists(any_event, max_size=30),
    rest=st.lists(unhelpful_event, min_size=UNHELPFUL_BOUND, max_size=UNHELPFUL_BOUND),
    open_now=st.booleans(),
    emergency=st.booleans(),
)
def test_any_events_never_raise_and_an_unhelpful_caller_still_ends(
    prefix: list[Event], rest: list[Event], open_now: bool, emergency: bool
) -> None:
    machine = IvrMachine(CONFIG, open_now=open_now, emergency=emergency)
    action = machine.start()
    fed: list[Event] = []
    for event in [*prefix, *rest]:
        if is_terminal(action):
            break
        if isinstance(action, Lookup) and len(fed) >= len(prefix):
            event = LookupDone("error")  # the look-up service answers, however slowly
        fed.append(event)
        action = machine.handle(event)
    assert is_terminal(action), (len(fed), machine.path)
    assert machine.state is State.DONE
    hung_up = any(isinstance(event, CallerHungUp) for event in fed)
    if isinstance(action, Finish) and action.outcome == "abandoned":
        assert hung_up
        assert open_now
    if not open_now:
        assert not isinstance(action, Enqueue)
    if isinstance(action, Enqueue | Callback):
        assert machine.topic == action.topic
        assert action.queue_id in {queue.id for queue in CONFIG.queues}

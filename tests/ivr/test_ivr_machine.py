"""The IVR machine driven by event sequences, on the shipped hotlines.

Engine behaviour node by node, on a purpose-built menu, is in `test_ivr_nodes`.
"""

from __future__ import annotations

import pytest
import yaml

from hotline.config import CallbackNode, ChoiceNode, CollectNode, HotlineConfig, LookupNode
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
from tests.config.samples import VALID_YAML
from tests.ivr.drive import is_terminal, run, shipped

ASK_LANGUAGE = CollectDigits("choose-language", "kk", max_digits=1, timeout_s=5.0)


def menu(language: str) -> CollectDigits:
    return CollectDigits("menu-400-100", language, max_digits=1, timeout_s=5.0)


@pytest.fixture
def hq() -> HotlineConfig:
    return shipped("400-100")


def test_language_by_digit_then_topic(hq: HotlineConfig) -> None:
    # 400-100 option 2 goes straight to a queue (option 1 to the payments node).
    machine, actions = run(hq, [DigitsEntered("2"), PlayFinished(), DigitsEntered("2")])
    assert actions == [
        ASK_LANGUAGE,
        Play("greeting-400-100", "ru"),
        menu("ru"),
        Enqueue("checkpoints-ru", "checkpoints", "ru", 1),
    ]
    assert (machine.language, machine.topic) == ("ru", "checkpoints")
    assert machine.path == ("language:ru", "main:2")
    assert machine.state is State.DONE


def test_no_input_gives_the_first_language(hq: HotlineConfig) -> None:
    machine, actions = run(hq, [NoInput(), NoInput(), NoInput()])
    assert actions == [ASK_LANGUAGE, ASK_LANGUAGE, ASK_LANGUAGE, Play("greeting-400-100", "kk")]
    assert machine.language == "kk"
    assert machine.path == (
        "language:timeout",
        "language:timeout",
        "language:timeout",
        "language:default",
    )


def test_a_language_the_hotline_does_not_offer_is_a_wrong_digit(hq: HotlineConfig) -> None:
    # 400-100 has no English: 3 is invalid there.
    _, actions = run(hq, [DigitsEntered("3"), PlayFinished(), DigitsEntered("1")])
    assert actions == [
        ASK_LANGUAGE,
        Play("invalid-choice", "kk"),
        ASK_LANGUAGE,
        Play("greeting-400-100", "kk"),
    ]


def test_invalid_digit_then_valid(hq: HotlineConfig) -> None:
    machine, actions = run(
        hq,
        [
            DigitsEntered("2"),
            PlayFinished(),
            DigitsEntered("7"),
            PlayFinished(),
            DigitsEntered("2"),
        ],
    )
    assert actions[3:] == [
        Play("invalid-choice", "ru"),
        menu("ru"),
        Enqueue("checkpoints-ru", "checkpoints", "ru", 1),
    ]
    assert machine.path == ("language:ru", "main:invalid", "main:2")


def test_a_digit_interrupting_a_prompt_answers_the_menu(hq: HotlineConfig) -> None:
    # Regular callers know the menu: a key during the greeting or invalid-choice prompt counts.
    _, actions = run(hq, [DigitsEntered("1"), DigitsEntered("2")])
    assert actions[-1] == Enqueue("checkpoints-kk", "checkpoints", "kk", 1)
    _, actions = run(
        hq, [DigitsEntered("1"), PlayFinished(), DigitsEntered("9"), DigitsEntered("0")]
    )
    assert actions[-2:] == [Play("invalid-choice", "kk"), Enqueue("other-kk", "other", "kk", 0)]


def test_star_repeats_without_using_a_try(hq: HotlineConfig) -> None:
    events: list[Event] = [DigitsEntered("1"), PlayFinished()]
    events += [DigitsEntered("*"), NoInput(), DigitsEntered("*"), NoInput()]
    machine, actions = run(hq, events)
    assert actions[2:] == [menu("kk")] * 5  # two silences of three tries used, still asking
    assert machine.state is State.MENU
    assert machine.handle(NoInput()) == Enqueue("other-kk", "other", "kk", 0)


def test_star_in_the_language_menu_repeats_it(hq: HotlineConfig) -> None:
    _, actions = run(hq, [DigitsEntered("*"), DigitsEntered("2")])
    assert actions == [ASK_LANGUAGE, ASK_LANGUAGE, Play("greeting-400-100", "ru")]


def test_endless_star_eventually_counts_as_wrong(hq: HotlineConfig) -> None:
    events: list[Event] = [DigitsEntered("1"), PlayFinished()]
    events += [DigitsEntered("*")] * MAX_REPEATS
    events += [DigitsEntered("*"), PlayFinished()] * 3
    _, actions = run(hq, events)
    assert actions[-1] == Enqueue("other-kk", "other", "kk", 0)


def test_tries_exhausted_goes_to_an_operator(hq: HotlineConfig) -> None:
    machine, actions = run(
        hq,
        [
            DigitsEntered("2"),
            PlayFinished(),
            NoInput(),
            DigitsEntered("8"),
            PlayFinished(),
            NoInput(),
        ],
    )
    assert actions[-1] == Enqueue("other-ru", "other", "ru", 0)
    assert machine.path == (
        "language:ru",
        "main:timeout",
        "main:invalid",
        "main:timeout",
        "main:default",
    )
    assert machine.topic == "other"


# Each prefix leaves the machine waiting in a different state.
# Each prefix leaves the machine waiting in a different state, at a node or pseudo step.
PREFIXES: dict[State, tuple[list[Event], str]] = {
    State.LANGUAGE: ([], "language"),
    State.LANGUAGE_RETRY: ([DigitsEntered("9")], "language"),
    State.GREETING: ([DigitsEntered("1")], "greeting"),
    State.MENU: ([DigitsEntered("1"), PlayFinished()], "main"),
    State.MENU_RETRY: ([DigitsEntered("1"), PlayFinished(), DigitsEntered("9")], "main"),
}


@pytest.mark.parametrize("state", list(PREFIXES))
def test_hangup_in_any_state_is_abandoned(hq: HotlineConfig, state: State) -> None:
    prefix, where = PREFIXES[state]
    machine, _ = run(hq, prefix)
    assert machine.state is state
    assert machine.where == where
    action = machine.handle(CallerHungUp())
    assert action == Finish("abandoned", f"caller hung up at {where} ({state.value})", where)
    assert machine.state is State.DONE


def test_terminal_actions_repeat(hq: HotlineConfig) -> None:
    machine, actions = run(hq, [DigitsEntered("1"), DigitsEntered("2")])
    assert isinstance(actions[-1], Enqueue)
    assert machine.handle(CallerHungUp()) == actions[-1]
    assert machine.handle(DigitsEntered("2")) == actions[-1]
    assert machine.start() == actions[-1]


def test_events_that_do_not_fit_still_move_the_caller_on(hq: HotlineConfig) -> None:
    # PlayFinished answering a CollectDigits counts as silence; NoInput ends a Play.
    _, actions = run(hq, [PlayFinished(), PlayFinished(), PlayFinished(), NoInput()])
    assert actions[-2:] == [Play("greeting-400-100", "kk"), menu("kk")]
    machine, _ = run(hq, [DigitsEntered("")])
    assert machine.state is State.LANGUAGE


def test_handle_before_start_starts() -> None:
    machine = IvrMachine(shipped("109"))
    assert machine.handle(NoInput()) == CollectDigits("choose-language", "kk", 1, 5.0)


def test_english_falls_back_to_the_default_language_queue() -> None:
    egov = shipped("1414")
    _, actions = run(egov, [DigitsEntered("3"), PlayFinished(), DigitsEntered("1")])
    assert actions[-1] == Enqueue("egov-portal-en", "egov-portal", "en", 0)
    # No English queue for digital signatures: the Kazakh one, the caller still marked "en".
    _, actions = run(egov, [DigitsEntered("3"), PlayFinished(), DigitsEntered("2")])
    assert actions[-1] == Enqueue("digital-signature-kk", "digital-signature", "en", 0)


def test_109_categories_and_priorities() -> None:
    city = shipped("109")
    _, actions = run(city, [DigitsEntered("2"), PlayFinished(), DigitsEntered("2")])
    assert actions[-1] == Enqueue("incident-ru", "incident", "ru", 3)
    _, actions = run(city, [DigitsEntered("1"), PlayFinished(), DigitsEntered("5")])
    assert actions[-1] == Enqueue("gratitude-kk", "gratitude", "kk", 0)


def test_without_greeting_the_menu_follows_the_language(hq: HotlineConfig) -> None:
    quiet = hq.model_copy(update={"menu": hq.menu.model_copy(update={"greeting": None})})
    _, actions = run(quiet, [DigitsEntered("2")])
    assert actions == [ASK_LANGUAGE, menu("ru")]


def test_a_single_language_hotline_skips_the_language_menu() -> None:
    data = yaml.safe_load(VALID_YAML)
    data["languages"] = ["ru"]
    data["operators"][0]["languages"] = ["ru"]
    data["queues"] = [{"id": "general-ru", "topic": "general", "language": "ru"}]
    config = HotlineConfig.model_validate(data)
    machine, actions = run(config, [DigitsEntered("1")])
    assert actions == [
        CollectDigits("menu-test", "ru", 1, 5.0),
        Enqueue("general-ru", "general", "ru", 0),
    ]
    assert machine.path == ("main:1",)


def explore(config: HotlineConfig, *, emergency: bool, language_digit: str) -> list[Action]:
    """Every terminal action a caller can reach by answering each question every valid way:
    each option of a choice, accept and decline at a call-back offer, a valid number at a
    collection, each result of a look-up. A (node, state) is explored once per way in."""
    terminals: list[Action] = []
    seen: set[tuple[str | None, State]] = set()
    todo: list[list[Event]] = [[DigitsEntered(language_digit)]]
    while todo:
        script = todo.pop()
        machine, actions = run(config, script, emergency=emergency)
        action = actions[-1]
        if is_terminal(action):
            terminals.append(action)
            continue
        key = (machine.node_name, machine.state)
        if key in seen:
            continue
        seen.add(key)
        answers: list[Event]
        node = machine.node if machine.node_name is not None else None
        if isinstance(action, Lookup):
            assert isinstance(node, LookupNode)
            answers = [LookupDone(result) for result in node.results]
        elif isinstance(action, Play):
            answers = [PlayFinished()]
        elif isinstance(node, ChoiceNode):
            answers = [DigitsEntered(digit) for digit in node.options]
        elif isinstance(node, CallbackNode):
            answers = [DigitsEntered("1"), DigitsEntered("2")]
        elif isinstance(node, CollectNode):
            answers = [DigitsEntered(VALID_IIN if node.validator == "iin" else "12345")]
        else:  # pragma: no cover - every asking node is above
            raise AssertionError(action)
        todo += [[*script, answer] for answer in answers]
    return terminals


VALID_IIN = "900101300334"


@pytest.mark.parametrize("hotline_id", ["1414", "109", "400-100"])
def test_every_queue_is_reachable_from_the_menu(hotline_id: str) -> None:
    config = shipped(hotline_id)
    language_digit = {"kk": "1", "ru": "2", "en": "3"}
    reached: set[str] = set()
    # The emergency node (if any) is reached in emergency mode only.
    modes = [False] if config.menu.emergency is None else [False, True]
    for emergency in modes:
        for language in config.languages:
            for final in explore(
                config, emergency=emergency, language_digit=language_digit[language]
            ):
                assert isinstance(final, Enqueue | Callback | Hangup), final
                if isinstance(final, Enqueue):
                    reached.add(final.queue_id)
    assert reached == {queue.id for queue in config.queues}


# --- the shipped self-service branches ----------------------------------------------------------


def test_400_100_payments_iin_list_check_then_goodbye(hq: HotlineConfig) -> None:
    machine, actions = run(
        hq,
        [
            DigitsEntered("2"),
            PlayFinished(),
            DigitsEntered("1"),  # main: social payments
            DigitsEntered("1"),  # payments: check the list
            DigitsEntered(VALID_IIN),
            LookupDone("found"),
            PlayFinished(),
            DigitsEntered("2"),  # after-check: end the call
        ],
    )
    assert actions[2:] == [
        menu("ru"),
        CollectDigits("payments-400-100", "ru", 1, 5.0),
        CollectDigits("enter-iin", "ru", 12, 10.0),
        Lookup("recipients_list", VALID_IIN, "payment-50000"),
        Play("on-list-50000", "ru"),
        CollectDigits("after-check", "ru", 1, 5.0),
        Hangup("goodbye", "ru", "self_served"),
    ]
    assert machine.path == (
        "language:ru",
        "main:1",
        "payments:1",
        "iin:ok",
        "list-check:found",
        "after-check:2",
    )
    assert machine.topic is None


def test_400_100_a_wrong_iin_is_retried_then_an_operator(hq: HotlineConfig) -> None:
    bad = VALID_IIN[:-1] + "5"  # wrong check digit
    events: list[Event] = [DigitsEntered("2"), PlayFinished(), DigitsEntered("1")]
    events += [DigitsEntered("1"), DigitsEntered(bad), PlayFinished(), DigitsEntered(bad)]
    events += [PlayFinished(), DigitsEntered(bad)]
    machine, actions = run(hq, events)
    assert actions[5:7] == [Play("iin-invalid", "ru"), CollectDigits("enter-iin", "ru", 12, 10.0)]
    assert actions[-1] == Enqueue("social-payments-ru", "social-payments", "ru", 0)
    assert machine.path[-2:] == ("iin:invalid", "iin:default")
    assert VALID_IIN[:6] not in "".join(machine.path)  # the number is never in the path


def test_400_100_an_operator_after_the_list_check(hq: HotlineConfig) -> None:
    _, actions = run(
        hq,
        [
            DigitsEntered("1"),
            PlayFinished(),
            DigitsEntered("1"),
            DigitsEntered("1"),
            DigitsEntered(VALID_IIN),
            LookupDone("not_found"),
            DigitsEntered("1"),  # a key during the result answers after-check
        ],
    )
    assert actions[-2:] == [
        Play("not-on-list-50000", "kk"),
        Enqueue("social-payments-kk", "social-payments", "kk", 0),
    ]


def test_109_request_status() -> None:
    city = shipped("109")
    machine, actions = run(
        city,
        [
            DigitsEntered("2"),
            PlayFinished(),
            DigitsEntered("6"),
            DigitsEntered("4711"),
            LookupDone("in_progress"),
            PlayFinished(),
            NoInput(),
            NoInput(),
            NoInput(),
        ],
    )
    assert actions[3:] == [
        CollectDigits("enter-request-number", "ru", 10, 10.0),
        Lookup("request_status", "4711", None),
        Play("status-in-progress", "ru"),
        CollectDigits("after-check", "ru", 1, 5.0),
        CollectDigits("after-check", "ru", 1, 5.0),
        CollectDigits("after-check", "ru", 1, 5.0),
        Hangup("goodbye", "ru", "self_served"),
    ]
    assert machine.path[1:4] == ("main:6", "request-number:ok", "request-status:in_progress")


def test_109_a_status_without_a_prompt_plays_the_error_prompt() -> None:
    machine, actions = run(
        shipped("109"),
        [
            DigitsEntered("1"),
            PlayFinished(),
            DigitsEntered("6"),
            DigitsEntered("1"),
            LookupDone("lost"),
        ],
    )
    assert actions[-1] == Play("lookup-failed", "kk")
    assert machine.path[-1] == "request-status:error"


def test_1414_callback_offer() -> None:
    egov = shipped("1414")
    machine, actions = run(
        egov,
        [
            DigitsEntered("2"),
            PlayFinished(),
            DigitsEntered("5"),
            DigitsEntered("1"),
            PlayFinished(),
        ],
    )
    assert actions[3:] == [
        CollectDigits("callback-offer", "ru", 1, 5.0),
        Play("callback-confirmed", "ru"),
        Callback("egov-portal-ru", "egov-portal", "ru", 0),
    ]
    assert machine.path == ("language:ru", "main:5", "callback:accept")
    assert machine.topic == "egov-portal"
    # 2 declines: back to the main menu.
    _, actions = run(
        egov, [DigitsEntered("2"), PlayFinished(), DigitsEntered("5"), DigitsEntered("2")]
    )
    assert actions[-1] == CollectDigits("menu-1414", "ru", 1, 5.0)


def test_1414_closed_offers_a_callback() -> None:
    egov = shipped("1414")
    offer = CollectDigits("callback-offer", "ru", 1, 5.0)
    machine, actions = run(
        egov,
        [DigitsEntered("2"), PlayFinished(), DigitsEntered("1"), PlayFinished()],
        open_now=False,
    )
    assert actions == [
        ASK_LANGUAGE_1414,
        Play("closed-1414", "ru"),
        offer,
        Play("callback-confirmed", "ru"),
        Callback("egov-portal-ru", "egov-portal", "ru", 0),
    ]
    assert machine.path == ("language:ru", "closed-callback:accept")
    # Declined: goodbye, the call recorded as closed.
    _, actions = run(egov, [DigitsEntered("2"), PlayFinished(), DigitsEntered("2")], open_now=False)
    assert actions[-1] == Hangup("goodbye", "ru", "closed")
    # The operator key leads to no one outside the hours.
    machine, actions = run(
        egov, [DigitsEntered("2"), PlayFinished(), DigitsEntered("0")], open_now=False
    )
    assert actions[-1] == Finish(
        "closed", "outside opening hours; wanted an operator", "closed-callback"
    )
    assert machine.topic is None


# --- outside the opening hours ----------------------------------------------------------------

CLOSED = Finish("closed", "outside opening hours", "closed-hours")
ASK_LANGUAGE_1414 = CollectDigits("choose-language-kk-ru-en", "kk", max_digits=1, timeout_s=5.0)


def test_closed_the_caller_chooses_a_language_then_hears_the_hours(hq: HotlineConfig) -> None:
    # 400-100 has no closed_node: after the hours the call ends (1414 offers a call-back).
    machine, actions = run(hq, [DigitsEntered("2"), PlayFinished()], open_now=False)
    assert actions == [ASK_LANGUAGE, Play("closed-400-100", "ru"), CLOSED]
    assert machine.state is State.DONE
    assert (machine.language, machine.topic, machine.path) == ("ru", None, ("language:ru",))
    assert not machine.open_now


def test_closed_silence_gives_the_hours_in_the_first_language() -> None:
    _, actions = run(shipped("1414"), [NoInput(), NoInput(), NoInput()], open_now=False)
    assert actions[-1] == Play("closed-1414", "kk")


def test_closed_a_wrong_language_digit_is_retried_as_when_open(hq: HotlineConfig) -> None:
    _, actions = run(hq, [DigitsEntered("3"), PlayFinished(), DigitsEntered("2")], open_now=False)
    assert actions == [
        ASK_LANGUAGE,
        Play("invalid-choice", "kk"),
        ASK_LANGUAGE,
        Play("closed-400-100", "ru"),
    ]


def test_hanging_up_outside_the_hours_is_closed_not_abandoned(hq: HotlineConfig) -> None:
    # Nobody could have served the call, whether or not the caller heard the message out.
    machine, actions = run(hq, [DigitsEntered("1"), CallerHungUp()], open_now=False)
    assert actions[-1] == Finish(
        "closed", "outside opening hours; hung up at closed-hours", "closed-hours"
    )
    assert machine.state is State.DONE
    # ... and so is hanging up during the language choice.
    _, actions = run(hq, [CallerHungUp()], open_now=False)
    assert actions[-1] == Finish("closed", "outside opening hours; hung up at language", "language")


def test_closed_star_repeats_the_hours_any_other_key_ends_the_call(hq: HotlineConfig) -> None:
    _, actions = run(
        hq, [DigitsEntered("1"), DigitsEntered("*"), DigitsEntered("5")], open_now=False
    )
    assert actions == [
        ASK_LANGUAGE,
        Play("closed-400-100", "kk"),
        Play("closed-400-100", "kk"),
        CLOSED,
    ]
    # Too many repeats: the call ends rather than looping.
    stars: list[Event] = [DigitsEntered("*")] * (MAX_REPEATS + 1)
    _, actions = run(hq, [DigitsEntered("1"), *stars], open_now=False)
    assert actions[-1] == CLOSED
    assert actions[-2] == Play("closed-400-100", "kk")


def test_closed_no_input_ends_the_play_and_start_again_replays_it(hq: HotlineConfig) -> None:
    machine, _ = run(hq, [DigitsEntered("2")], open_now=False)
    assert machine.state is State.CLOSED
    assert machine.start() == Play("closed-400-100", "ru")
    assert machine.handle(NoInput()) == CLOSED
    assert machine.handle(DigitsEntered("1")) == CLOSED  # terminal actions repeat


def test_closed_prompt_can_be_set_in_the_menu(hq: HotlineConfig) -> None:
    custom = hq.model_copy(
        update={"menu": hq.menu.model_copy(update={"closed_prompt": "closed-holiday"})}
    )
    _, actions = run(custom, [DigitsEntered("2")], open_now=False)
    assert actions[-1] == Play("closed-holiday", "ru")


def test_closed_single_language_hotline_plays_the_hours_at_once() -> None:
    data = yaml.safe_load(VALID_YAML)
    data["languages"] = ["ru"]
    data["operators"][0]["languages"] = ["ru"]
    data["queues"] = [{"id": "general-ru", "topic": "general", "language": "ru"}]
    config = HotlineConfig.model_validate(data)
    _, actions = run(config, [PlayFinished()], open_now=False)
    assert actions == [Play(f"closed-{config.id}", "ru"), CLOSED]


def test_open_is_the_default_and_unchanged(hq: HotlineConfig) -> None:
    script: list[Event] = [DigitsEntered("2"), PlayFinished(), DigitsEntered("2")]
    _, by_default = run(hq, script)
    _, opened = run(hq, script, open_now=True)
    assert by_default == opened
    assert opened[-1] == Enqueue("checkpoints-ru", "checkpoints", "ru", 1)
    assert IvrMachine(hq).open_now


# --- emergency mode ---------------------------------------------------------------------------

EMERGENCY_MENU_1414 = CollectDigits("emergency-menu-1414", "ru", max_digits=1, timeout_s=5.0)


def test_emergency_1414_announcement_then_the_emergency_node() -> None:
    config = shipped("1414")
    machine, actions = run(
        config, [DigitsEntered("2"), PlayFinished(), DigitsEntered("1")], emergency=True
    )
    assert actions == [
        ASK_LANGUAGE_1414,
        Play("emergency-1414", "ru"),  # no greeting
        EMERGENCY_MENU_1414,
        Enqueue("missing-persons-ru", "missing-persons", "ru", 9),
    ]
    assert machine.emergency
    assert machine.path == ("language:ru", "emergency:1")


def test_emergency_1414_a_key_during_the_announcement_answers_the_node() -> None:
    _, actions = run(shipped("1414"), [DigitsEntered("1"), DigitsEntered("2")], emergency=True)
    assert actions == [
        ASK_LANGUAGE_1414,
        Play("emergency-1414", "kk"),
        Enqueue("egov-portal-kk", "egov-portal", "kk", 0),
    ]


def test_emergency_1414_out_of_tries_goes_to_missing_persons() -> None:
    _, actions = run(
        shipped("1414"),
        [DigitsEntered("2"), PlayFinished(), NoInput(), NoInput(), NoInput()],
        emergency=True,
    )
    assert actions[-1] == Enqueue("missing-persons-ru", "missing-persons", "ru", 9)


def test_emergency_outside_the_hours_still_plays_the_hours() -> None:
    _, actions = run(shipped("1414"), [DigitsEntered("2")], open_now=False, emergency=True)
    assert actions[-1] == Play("closed-1414", "ru")


def test_emergency_without_a_section_is_the_normal_menu(hq: HotlineConfig) -> None:
    assert hq.menu.emergency is None
    script: list[Event] = [DigitsEntered("2"), PlayFinished(), DigitsEntered("1")]
    machine, flagged = run(hq, script, emergency=True)
    _, normal = run(hq, script)
    assert flagged == normal
    assert not machine.emergency

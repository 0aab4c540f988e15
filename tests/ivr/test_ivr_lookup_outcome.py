"""Issue 9, bug 3: a look-up that could not answer is not self-service. Only a look-up
that answered (found / not found / a status) makes a call `self_served`; the last
look-up's result is kept for the record (`IvrMachine.lookup_result`)."""

from __future__ import annotations

import pytest

from hotline.ivr import CallerHungUp, DigitsEntered, Finish, Hangup, LookupDone, PlayFinished
from tests.ivr.drive import run, shipped
from tests.ivr.test_ivr_nodes import TO_MAIN, VALID_IIN, go

# The shipped 400-100: Kazakh, the greeting, 1 payments, 1 the list check by IIN.
TO_LIST_CHECK = [
    DigitsEntered("1"),
    PlayFinished(),
    DigitsEntered("1"),
    DigitsEntered("1"),
    DigitsEntered(VALID_IIN),
]
# After the result: "2 end the call", then the goodbye.
END_THE_CALL = [PlayFinished(), DigitsEntered("2")]


def test_a_failed_list_check_then_ending_the_call_is_not_self_served() -> None:
    machine, actions = run(shipped("400-100"), [*TO_LIST_CHECK, LookupDone("error"), *END_THE_CALL])
    assert actions[-1] == Hangup("goodbye", "kk", "abandoned")
    assert machine.lookup_result == "error"
    assert "list-check:error" in machine.path


@pytest.mark.parametrize("result", ["found", "not_found"])
def test_an_answered_list_check_then_ending_the_call_is_self_served(result: str) -> None:
    machine, actions = run(shipped("400-100"), [*TO_LIST_CHECK, LookupDone(result), *END_THE_CALL])
    assert actions[-1] == Hangup("goodbye", "kk", "self_served")
    assert machine.lookup_result == result


def test_hanging_up_after_a_failed_look_up_is_abandoned_at_its_node() -> None:
    machine, actions = run(
        shipped("400-100"), [*TO_LIST_CHECK, LookupDone("error"), CallerHungUp()]
    )
    terminal = actions[-1]
    assert isinstance(terminal, Finish)
    assert (terminal.outcome, terminal.node) == ("abandoned", "list-check")
    assert machine.lookup_result == "error"


def test_hanging_up_after_an_answer_stays_self_served() -> None:
    machine, actions = run(
        shipped("400-100"), [*TO_LIST_CHECK, LookupDone("found"), CallerHungUp()]
    )
    terminal = actions[-1]
    assert isinstance(terminal, Finish)
    assert terminal.outcome == "self_served"
    assert machine.lookup_result == "found"


@pytest.mark.parametrize(
    ("result", "outcome"),
    [("done", "self_served"), ("error", "abandoned"), ("registered", "abandoned")],
)
def test_a_status_look_up_straight_to_goodbye(result: str, outcome: str) -> None:
    # `registered` has no prompt in this menu: the caller heard "lookup-failed" (error).
    machine, actions = go(
        [*TO_MAIN, DigitsEntered("3"), DigitsEntered("4711"), LookupDone(result), PlayFinished()]
    )
    assert actions[-1] == Hangup("goodbye", "ru", outcome)  # type: ignore[arg-type]
    assert machine.lookup_result == (result if outcome == "self_served" else "error")


def test_outside_the_hours_a_failed_look_up_is_closed() -> None:
    # Closed: the hours, then the after-hours menu, 1 the status check.
    after_hours = [DigitsEntered("2"), PlayFinished(), DigitsEntered("1"), DigitsEntered("4711")]
    machine, actions = go([*after_hours, LookupDone("error"), PlayFinished()], open_now=False)
    assert actions[-1] == Hangup("goodbye", "ru", "closed")
    assert machine.lookup_result == "error"


def test_a_call_without_a_look_up_has_no_lookup_result() -> None:
    machine, _ = go([*TO_MAIN, DigitsEntered("1")])
    assert machine.lookup_result is None

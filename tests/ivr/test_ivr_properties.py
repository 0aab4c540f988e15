"""Properties over arbitrary event sequences: the machine never raises, never drops a caller."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hotline.config import HotlineConfig, LookupNode
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
)
from tests.ivr.drive import is_terminal, shipped

HOTLINES = ["1414", "109", "400-100"]
VALID_IIN = "900101300334"

events = st.one_of(
    st.builds(DigitsEntered, st.sampled_from(list("0123456789*#")) | st.text(max_size=3)),
    # Whole numbers for the collect nodes: a valid IIN, a request number.
    st.builds(DigitsEntered, st.sampled_from([VALID_IIN, "4711", "123456789012"])),
    st.just(NoInput()),
    st.just(PlayFinished()),
    st.builds(
        LookupDone, st.sampled_from(["found", "not_found", "error", "done", "registered", "x"])
    ),
    st.just(CallerHungUp()),
)

# A caller who stops pressing keys: the menu must still end within this many steps.
SILENT_STEPS = 100


def silent(action: Action) -> Event:
    """What a silent caller answers: the prompt ran out, no key, the look-up failed."""
    assert isinstance(action, Play | CollectDigits | Lookup)
    if isinstance(action, Play):
        return PlayFinished()
    if isinstance(action, Lookup):
        return LookupDone("error")
    return NoInput()


def drive(machine: IvrMachine, script: list[Event]) -> tuple[Action, bool]:
    """Feed `script` until a terminal action, then stay silent; (the last action, whether
    the caller hung up)."""
    action = machine.start()
    hung_up = False
    for event in script:
        if is_terminal(action):
            break
        hung_up = isinstance(event, CallerHungUp)
        action = machine.handle(event)
    for _ in range(SILENT_STEPS):
        if is_terminal(action):
            break
        action = machine.handle(silent(action))
    assert is_terminal(action), machine.path
    return action, hung_up


def lookup_results(config: HotlineConfig, path: tuple[str, ...]) -> list[str]:
    """The results of the look-ups on `path`, in order."""
    lookups = {name for name, node in config.menu.nodes.items() if isinstance(node, LookupNode)}
    return [step.partition(":")[2] for step in path if step.partition(":")[0] in lookups]


def answered_lookup(config: HotlineConfig, path: tuple[str, ...]) -> bool:
    """Whether a look-up gave an answer (any result but "error") on `path`."""
    return any(result != "error" for result in lookup_results(config, path))


@given(hotline_id=st.sampled_from(HOTLINES), script=st.lists(events, max_size=40))
def test_any_events_end_with_an_operator_or_served_unless_the_caller_hangs_up(
    hotline_id: str, script: list[Event]
) -> None:
    config = shipped(hotline_id)
    machine = IvrMachine(config)
    action, hung_up = drive(machine, script)
    if not hung_up:
        assert machine.path  # a language and a menu choice (or their defaults) recorded
    if isinstance(action, Callback):
        # Pressed 1 at a call-back offer; hanging up during the confirmation keeps it.
        assert machine.path[-1].endswith(":accept")
        assert action.queue_id in {queue.id for queue in config.queues}
        assert machine.topic == action.topic
    elif hung_up:
        assert isinstance(action, Finish)
        served = answered_lookup(config, machine.path)
        assert action.outcome == ("self_served" if served else "abandoned")
        assert action.node == machine.where
    elif isinstance(action, Hangup):
        # Only a goodbye node ends an open call without an operator; in the shipped menus
        # it comes after a look-up.
        assert action.outcome == "self_served"
        assert lookup_results(config, machine.path)
        assert machine.topic is None
    else:
        assert isinstance(action, Enqueue)
        assert action.queue_id in {queue.id for queue in config.queues}
        assert action.language in config.languages
        assert machine.topic == action.topic


@given(hotline_id=st.sampled_from(HOTLINES), script=st.lists(events, max_size=40))
def test_closed_any_events_end_closed_never_in_a_queue(
    hotline_id: str, script: list[Event]
) -> None:
    config = shipped(hotline_id)
    machine = IvrMachine(config, open_now=False)
    action, _ = drive(machine, script)
    assert not isinstance(action, Enqueue)
    if isinstance(action, Callback):
        # 1414's closed_node: a call-back request is what a closed hotline can take.
        assert config.menu.closed_node is not None
        assert machine.path[-1] == f"{config.menu.closed_node}:accept"
        assert machine.topic == action.topic
        return
    assert isinstance(action, Finish | Hangup)
    assert action.outcome == "closed"  # even when the caller hung up first
    assert machine.topic is None

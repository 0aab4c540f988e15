"""Properties over arbitrary event sequences: the machine never raises, never drops a caller."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hotline.ivr import (
    CallerHungUp,
    CollectDigits,
    DigitsEntered,
    Enqueue,
    Event,
    Finish,
    IvrMachine,
    NoInput,
    Play,
    PlayFinished,
)
from tests.ivr.drive import is_terminal, shipped

HOTLINES = ["1414", "109", "400-100"]

events = st.one_of(
    st.builds(DigitsEntered, st.sampled_from(list("0123456789*#")) | st.text(max_size=3)),
    st.just(NoInput()),
    st.just(PlayFinished()),
    st.just(CallerHungUp()),
)

# A caller who stops pressing keys: the menu must still end, in a queue, within this many steps.
SILENT_STEPS = 100


@given(hotline_id=st.sampled_from(HOTLINES), script=st.lists(events, max_size=40))
def test_any_events_end_in_a_queue_unless_the_caller_hangs_up(
    hotline_id: str, script: list[Event]
) -> None:
    config = shipped(hotline_id)
    machine = IvrMachine(config)
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
        assert isinstance(action, Play | CollectDigits)
        action = machine.handle(PlayFinished() if isinstance(action, Play) else NoInput())
    if hung_up:
        assert isinstance(action, Finish)
        assert action.outcome == "abandoned"
    else:
        assert isinstance(action, Enqueue)
        assert action.queue_id in {queue.id for queue in config.queues}
        assert action.language in config.languages
        assert machine.topic == action.topic
        assert machine.path  # a language and a menu choice (or their defaults) recorded


@given(hotline_id=st.sampled_from(HOTLINES), script=st.lists(events, max_size=40))
def test_closed_any_events_end_closed_never_in_a_queue(
    hotline_id: str, script: list[Event]
) -> None:
    config = shipped(hotline_id)
    machine = IvrMachine(config, open_now=False)
    action = machine.start()
    for event in script:
        if is_terminal(action):
            break
        action = machine.handle(event)
    for _ in range(SILENT_STEPS):
        if is_terminal(action):
            break
        assert isinstance(action, Play | CollectDigits)
        action = machine.handle(PlayFinished() if isinstance(action, Play) else NoInput())
    assert isinstance(action, Finish)
    assert action.outcome == "closed"  # even when the caller hung up first
    assert machine.topic is None

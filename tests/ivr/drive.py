"""Helpers to run the IVR machine in tests: the shipped configs and a scripted caller."""

from __future__ import annotations

from functools import cache

from hotline.config import HotlineConfig, find_hotline, load_hotline
from hotline.ivr import TERMINAL_ACTIONS, Action, Event, IvrMachine


@cache
def shipped(hotline_id: str) -> HotlineConfig:
    return load_hotline(find_hotline(hotline_id))


def run(
    config: HotlineConfig,
    events: list[Event],
    *,
    open_now: bool = True,
    emergency: bool = False,
) -> tuple[IvrMachine, list[Action]]:
    """Start a machine and feed it `events`; return it and every action it gave, in order."""
    machine = IvrMachine(config, open_now=open_now, emergency=emergency)
    actions = [machine.start()]
    for event in events:
        actions.append(machine.handle(event))
    return machine, actions


def is_terminal(action: Action) -> bool:
    return isinstance(action, TERMINAL_ACTIONS)

"""hotline.ivr: the menu as a pure state machine (events in, actions out, no I/O)."""

from hotline.ivr.actions import (
    TERMINAL_ACTIONS,
    Action,
    CollectDigits,
    Enqueue,
    Finish,
    Hangup,
    Outcome,
    Play,
)
from hotline.ivr.events import CallerHungUp, DigitsEntered, Event, NoInput, PlayFinished
from hotline.ivr.machine import IvrMachine, State

__all__ = [
    "TERMINAL_ACTIONS",
    "Action",
    "CallerHungUp",
    "CollectDigits",
    "DigitsEntered",
    "Enqueue",
    "Event",
    "Finish",
    "Hangup",
    "IvrMachine",
    "NoInput",
    "Outcome",
    "Play",
    "PlayFinished",
    "State",
]

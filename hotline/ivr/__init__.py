"""hotline.ivr: the menu as a pure state machine (events in, actions out, no I/O)."""

from hotline.ivr.actions import (
    TERMINAL_ACTIONS,
    Action,
    Callback,
    CollectDigits,
    Enqueue,
    Finish,
    Hangup,
    Lookup,
    Outcome,
    Play,
)
from hotline.ivr.events import (
    CallerHungUp,
    DigitsEntered,
    Event,
    LookupDone,
    NoInput,
    PlayFinished,
)
from hotline.ivr.machine import IvrMachine, State

__all__ = [
    "TERMINAL_ACTIONS",
    "Action",
    "Callback",
    "CallerHungUp",
    "CollectDigits",
    "DigitsEntered",
    "Enqueue",
    "Event",
    "Finish",
    "Hangup",
    "IvrMachine",
    "Lookup",
    "LookupDone",
    "NoInput",
    "Outcome",
    "Play",
    "PlayFinished",
    "State",
]

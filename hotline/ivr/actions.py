"""What the menu machine asks the IVR driver to do next: one action at a time.

`Play` and `CollectDigits` expect an event back; `Enqueue`, `Finish` and `Hangup` end the menu.
Prompts are sound file names `hotline/<language>/<prompt>` on the Asterisk side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# "closed": the call came outside the opening hours and heard them (`IvrMachine(open_now=False)`).
Outcome = Literal["self_served", "abandoned", "closed"]


@dataclass(frozen=True)
class Play:
    """Play a prompt; answered by `PlayFinished`, or `DigitsEntered` if a key interrupted it."""

    prompt: str
    language: str


@dataclass(frozen=True)
class CollectDigits:
    """Play a prompt and read up to `max_digits` keys; answered by `DigitsEntered` / `NoInput`."""

    prompt: str
    language: str
    max_digits: int
    timeout_s: float


@dataclass(frozen=True)
class Enqueue:
    """Terminal: put the caller in a queue for an operator.

    `queue_id` decides which operators can answer; `language` is the caller's choice (for the
    hold announcements and the call record), which may differ from the queue's language when
    the IVR fell back to the default language's queue.
    """

    queue_id: str
    topic: str
    language: str
    priority: int


@dataclass(frozen=True)
class Finish:
    """Terminal: the menu is over without a queue (`self_served`, `abandoned` or `closed`)."""

    outcome: Outcome
    reason: str


@dataclass(frozen=True)
class Hangup:
    """Terminal: say goodbye (if `prompt`) and hang up; the caller was served by the menu."""

    prompt: str | None
    language: str


Action = Play | CollectDigits | Enqueue | Finish | Hangup
TERMINAL_ACTIONS = (Enqueue, Finish, Hangup)

"""What the menu machine asks the IVR driver to do next: one action at a time.

`Play`, `CollectDigits` and `Lookup` expect an event back; `Enqueue`, `Callback`, `Finish` and
`Hangup` end the menu.
Prompts are sound file names `hotline/<language>/<prompt>` on the Asterisk side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# "closed": the call came outside the opening hours and heard them (`IvrMachine(open_now=False)`).
# "abandoned": the caller hung up in the menu ("abandoned in IVR"; `Finish.node` says where).
Outcome = Literal["self_served", "abandoned", "closed"]

# What a self-service look-up asks (see `Lookup`).
LookupService = Literal["recipients_list", "request_status"]


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
class Lookup:
    """Look `value` up (self-service); answered by `LookupDone` with a result key.

    `recipients_list`: is the IIN `value` on the list `list_name`? -> "found" / "not_found".
    `request_status`: the status of request number `value` of this hotline -> the status
    (e.g. "registered", "in_progress", "done") or "not_found".
    Any failure (database down, no key for IIN hashing) -> "error": the menu goes on.
    """

    service: LookupService
    value: str
    list_name: str | None = None


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
class Callback:
    """Terminal: the caller asked to be called back (a call-back offer node, digit 1): the
    driver registers a call-back request for this queue and the call ends (outcome
    `callback`). The machine has already played the confirmation."""

    queue_id: str
    topic: str
    language: str
    priority: int


@dataclass(frozen=True)
class Finish:
    """Terminal: the menu is over without a queue (`self_served`, `abandoned` or `closed`).

    `node`: the menu node the caller was at (for "abandoned in IVR"), None before the menu
    nodes (the language choice)."""

    outcome: Outcome
    reason: str
    node: str | None = None


@dataclass(frozen=True)
class Hangup:
    """Terminal: say goodbye (if `prompt`) and hang up. `outcome`: `self_served` (the menu
    served the caller), `closed` outside the opening hours when no self-service answered,
    or `abandoned` when the call's look-up could not answer and none did."""

    prompt: str | None
    language: str
    outcome: Outcome = "self_served"


Action = Play | CollectDigits | Lookup | Enqueue | Callback | Finish | Hangup
TERMINAL_ACTIONS = (Enqueue, Callback, Finish, Hangup)

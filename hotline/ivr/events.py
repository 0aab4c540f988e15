"""What the IVR driver tells the menu machine: what the caller did (or did not do)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DigitsEntered:
    """The caller pressed keys: during a `CollectDigits`, or interrupting a `Play`.

    `digits` is what Asterisk returned, e.g. "1" or "*"; an empty string counts as no input.
    """

    digits: str


@dataclass(frozen=True)
class NoInput:
    """A `CollectDigits` ended without a key press (the timeout ran out)."""


@dataclass(frozen=True)
class PlayFinished:
    """A `Play` ran to its end."""


@dataclass(frozen=True)
class LookupDone:
    """A `Lookup` finished: `result` is "found", "not_found", a request status, or "error"."""

    result: str


@dataclass(frozen=True)
class CallerHungUp:
    """The caller's channel is gone."""


Event = DigitsEntered | NoInput | PlayFinished | LookupDone | CallerHungUp

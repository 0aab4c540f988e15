"""The simulated callers of `hotline simulate`, and the demo data their self-service needs.

A caller's key presses are decided before the call by walking the pure IVR machine: at each
input read it picks what a real caller would (a language by the shares below, a menu option
by its configured `weight`, an IIN that is on the demo list or not, sometimes a mistyped
one), so the script has one entry per read, exactly as the simulator consumes them.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine

from hotline.config import HotlineConfig
from hotline.config.menu import CallbackNode, ChoiceNode, CollectNode, LookupNode
from hotline.controller.overflow import CALLBACK_OFFER_PROMPT
from hotline.ivr.actions import TERMINAL_ACTIONS, Action, CollectDigits, Lookup, Play
from hotline.ivr.events import DigitsEntered, LookupDone, NoInput, PlayFinished
from hotline.ivr.iin import IinHasher, check_digit
from hotline.ivr.machine import ACCEPT_DIGIT, DECLINE_DIGIT, LANGUAGE_STEP, IvrMachine
from hotline.lists.importer import import_list
from hotline.requests.importer import import_statuses
from hotline.sim import SimCaller

# The IVR's language digits and how often simulated callers choose each language.
LANGUAGE_DIGITS = {"kk": "1", "ru": "2", "en": "3"}
LANGUAGE_WEIGHTS = {"kk": 55.0, "ru": 45.0, "en": 5.0}
# How often a caller presses a digit that is no option before the right one.
MISDIAL_SHARE = 0.05
# Of the callers who type an IIN: on the list, not on it, mistyped (the rest).
LISTED_SHARE = 0.5
UNLISTED_SHARE = 0.42
# Of the callers who type a request number: a known request (else an unknown number).
KNOWN_REQUEST_SHARE = 0.85
ACCEPT_CALLBACK_SHARE = 0.6
DEMO_SIZE = 400
MAX_READS = 24
DEMO_STATUSES = ("registered", "in_progress", "done", "rejected")


def make_iin(rng: random.Random) -> str:
    """A valid IIN of a made-up person born 1940-2005 (not a real person's number)."""
    while True:
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 66))
        century = 3 if born.year < 2000 else 5
        first11 = f"{born:%y%m%d}{century + rng.randrange(2)}{rng.randrange(10**4):04d}"
        digit = check_digit(first11)
        if digit is not None:
            return first11 + str(digit)


@dataclass(frozen=True)
class DemoData:
    """Made-up recipients and requests for a simulated run; IINs exist only in memory (the
    database gets their hashes)."""

    listed_iins: tuple[str, ...]
    unlisted_iins: tuple[str, ...]
    requests: dict[str, str]  # request number -> status

    @classmethod
    def generate(cls, rng: random.Random, size: int = DEMO_SIZE) -> DemoData:
        iins = list(dict.fromkeys(make_iin(rng) for _ in range(2 * size)))
        requests = {str(100000 + n): rng.choice(DEMO_STATUSES) for n in range(size)}
        half = len(iins) // 2
        return cls(tuple(iins[:half]), tuple(iins[half:]), requests)

    def lookup(self, action: Lookup) -> str:
        """What the seeded database answers (for planning a caller's keys)."""
        if action.service == "recipients_list":
            return "found" if action.value in self.listed_iins else "not_found"
        return self.requests.get(action.value, "not_found")


def seed_demo_data(
    engine: Engine, hotline: HotlineConfig, demo: DemoData, hasher: IinHasher, workdir: Path
) -> None:
    """Import the demo recipients lists and request statuses the hotline's menu looks up,
    through the real importers. The CSV files with IINs are deleted at once."""
    for node in hotline.menu.nodes.values():
        if not isinstance(node, LookupNode):
            continue
        path = workdir / f"demo-{node.service}.csv"
        try:
            with path.open("w", newline="", encoding="utf-8") as file:
                writer = csv.writer(file)
                if node.service == "recipients_list":
                    assert node.list is not None
                    writer.writerow(["iin"])
                    writer.writerows([iin] for iin in demo.listed_iins)
                else:
                    writer.writerow(["request_number", "status"])
                    writer.writerows(demo.requests.items())
            if node.service == "recipients_list":
                assert node.list is not None
                import_list(engine, node.list, path, hasher)
            else:
                import_statuses(engine, hotline.id, path)
        finally:
            path.unlink(missing_ok=True)


class CallerFactory:
    """Simulated callers for one hotline: language, menu choices, numbers typed, patience."""

    def __init__(
        self,
        hotline: HotlineConfig,
        rng: random.Random,
        patience_s: float,
        demo: DemoData,
        open_now: bool = True,
    ) -> None:
        self._hotline = hotline
        self._rng = rng
        self._patience_s = patience_s
        self._demo = demo
        self._open_now = open_now
        self._languages = [LANGUAGE_DIGITS[lang] for lang in hotline.languages]
        self._language_weights = [LANGUAGE_WEIGHTS[lang] for lang in hotline.languages]

    def caller(self) -> SimCaller:
        # Some waiting callers take the queue's call-back offer (an overflow rule) when they
        # hear it; the others wait on.
        accepts = self._rng.random() < ACCEPT_CALLBACK_SHARE
        return SimCaller(
            digits=self.keys(),
            think_s=self._rng.uniform(0.5, 3.0),
            patience_s=self._rng.expovariate(1.0 / self._patience_s),
            on_prompt={CALLBACK_OFFER_PROMPT: "1"} if accepts else {},
        )

    def keys(self) -> list[str]:
        """The keys pressed at each input read of one call ("" presses nothing)."""
        machine = IvrMachine(self._hotline, open_now=self._open_now)
        action: Action = machine.start()
        entries: list[str] = []
        misdialled: set[str] = set()
        while not isinstance(action, TERMINAL_ACTIONS) and len(entries) < MAX_READS:
            if isinstance(action, Lookup):
                action = machine.handle(LookupDone(self._demo.lookup(action)))
            elif isinstance(action, Play):
                entries.append("")
                action = machine.handle(PlayFinished())
            elif isinstance(action, CollectDigits):
                keys = self._choose(machine, misdialled)
                entries.append(keys)
                action = machine.handle(DigitsEntered(keys.rstrip("#")) if keys else NoInput())
        return entries

    def _choose(self, machine: IvrMachine, misdialled: set[str]) -> str:
        rng = self._rng
        if machine.where == LANGUAGE_STEP:
            return rng.choices(self._languages, weights=self._language_weights)[0]
        node = machine.node
        name = machine.where
        if isinstance(node, ChoiceNode):
            wrong = next((d for d in "987654321" if d not in node.options), None)
            if wrong is not None and name not in misdialled and rng.random() < MISDIAL_SHARE:
                misdialled.add(name)
                return wrong
            digits = list(node.options)
            return rng.choices(digits, weights=[o.weight for o in node.options.values()])[0]
        if isinstance(node, CallbackNode):
            return ACCEPT_DIGIT if rng.random() < ACCEPT_CALLBACK_SHARE else DECLINE_DIGIT
        if isinstance(node, CollectNode):
            return self._number(node)
        return ""

    def _number(self, node: CollectNode) -> str:
        rng = self._rng
        draw = rng.random()
        if node.validator == "iin":
            if draw < LISTED_SHARE:
                return rng.choice(self._demo.listed_iins)
            iin = rng.choice(self._demo.unlisted_iins)
            if draw < LISTED_SHARE + UNLISTED_SHARE:
                return iin
            return iin[:-1] + str((int(iin[-1]) + 1) % 10)  # a typo in the last digit
        if draw < KNOWN_REQUEST_SHARE and self._demo.requests:
            number = rng.choice(list(self._demo.requests))
        else:
            number = str(rng.randrange(10**5, 10**6 - 1) * 10 + 9)  # no such request
        number = number[: node.max_digits]
        return number if len(number) == node.max_digits else number + "#"

    def number(self) -> str:
        return f"+7701{self._rng.randrange(10**7):07d}"

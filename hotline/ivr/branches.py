"""Every branch of a hotline's menu, and a caller's key presses that take each one.

A branch is a step of `IvrMachine.path` ("main:1", "iin:invalid", "list-check:found", ...).
`menu_branches` lists all the branches a configuration has; `plan_walks` searches the pure
machine for the shortest key sequences that take each of them. The path-coverage tests replay
those sequences through the simulator (FastAGI and classic AGI) and check that the call
records' paths cover `menu_branches`: a branch added to a menu without a way to reach it, or
a way the drivers do not follow, fails them. The simulator's callers use the same walks.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from hotline.config.menu import CallbackNode, ChoiceNode, CollectNode, LookupNode
from hotline.config.schema import HotlineConfig
from hotline.ivr.actions import TERMINAL_ACTIONS, Action, CollectDigits, Lookup, Play
from hotline.ivr.events import DigitsEntered, Event, LookupDone, NoInput, PlayFinished
from hotline.ivr.machine import ACCEPT_DIGIT, DECLINE_DIGIT, LANGUAGE_DIGITS, IvrMachine

MAX_READS = 16  # a walk longer than this is no walk a caller takes


@dataclass(frozen=True)
class Entry:
    """What a collect node may be given: `digits` (as typed, '#' included) and the look-up
    result it leads to ("" when it is refused by the validator)."""

    digits: str
    result: str = ""


@dataclass(frozen=True)
class Walk:
    """A caller's input reads, in order: the keys pressed at each ("" none); the path the
    machine takes; the terminal action; where the caller was at the last read."""

    entries: tuple[str, ...]
    path: tuple[str, ...]
    terminal: Action
    where: str


def menu_branches(config: HotlineConfig) -> set[str]:
    """Every branch of the menu that a caller can take with a telephone keypad."""
    menu = config.menu
    branches: set[str] = set()
    if len(config.languages) > 1:
        branches |= {f"language:{language}" for language in config.languages}
        branches |= {"language:invalid", "language:timeout", "language:repeat"}
        branches.add("language:default")
    for name, node in menu.nodes.items():
        common = {"timeout", "repeat", "default"}
        match node:
            case ChoiceNode():
                keys = set(node.options) | common | {"invalid"}
                if menu.operator_digit is not None and menu.operator_digit not in node.options:
                    keys.add("operator")
            case CallbackNode():
                keys = {"accept", "decline", "invalid"} | common
                if menu.operator_digit is not None and menu.operator_digit not in (
                    ACCEPT_DIGIT,
                    DECLINE_DIGIT,
                ):
                    keys.add("operator")
            case CollectNode():
                # Refused: too short (ended by '#'), failing the validator, or '*' once the
                # repeats are used up.
                keys = {"ok", "invalid"} | common
            case LookupNode():
                keys = set(node.results)
            case _:
                keys = set()
        branches |= {f"{name}:{key}" for key in keys}
    return branches


def plan_walks(
    config: HotlineConfig,
    entries: Mapping[str, list[Entry]],
    *,
    open_now: bool = True,
    emergency: bool = False,
    language: str | None = None,
) -> list[Walk]:
    """Shortest walks that together take every branch reachable in this mode.

    `entries`: for each collect node's `store`, the numbers a caller may type (valid ones
    with the look-up result they give, refused ones with result ""). `language`: choose this
    language at the first read (the language branches are still all covered).
    """
    found: dict[str, Walk] = {}
    seen: set[tuple[object, ...]] = set()
    start = IvrMachine(config, open_now=open_now, emergency=emergency)
    queue: deque[tuple[IvrMachine, Action, tuple[str, ...], str]] = deque()
    queue.append((start, start.start(), (), ""))
    while queue:
        machine, action, reads, pending = queue.popleft()
        for keys, event, result in _inputs(config, machine, action, entries, language, pending):
            child = copy.deepcopy(machine)
            child_reads = reads if isinstance(action, Lookup) else (*reads, keys)
            next_action = child.handle(event)
            walk = Walk(child_reads, child.path, next_action, child.where)
            for step in child.path:
                found.setdefault(step, walk)
            if isinstance(next_action, TERMINAL_ACTIONS) or len(child_reads) >= MAX_READS:
                found.setdefault(f"end:{type(next_action).__name__}", walk)
                continue
            signature = _signature(child, next_action, result)
            if signature in seen:
                continue
            seen.add(signature)
            queue.append((child, next_action, child_reads, result))
    unique: dict[tuple[str, ...], Walk] = {}
    for walk in found.values():
        unique.setdefault(walk.entries, walk)
    return list(unique.values())


def hangup_points(
    config: HotlineConfig,
    entries: Mapping[str, list[Entry]],
    *,
    open_now: bool = True,
    emergency: bool = False,
    language: str | None = None,
) -> dict[str, tuple[str, ...]]:
    """For each place a caller can be at an input read (a node id or a step before the
    nodes), the keys of the reads before it: hang up at the next read to leave the menu there."""
    points: dict[str, tuple[str, ...]] = {}
    walks = plan_walks(config, entries, open_now=open_now, emergency=emergency, language=language)
    for walk in sorted(walks, key=lambda w: len(w.entries)):
        machine = IvrMachine(config, open_now=open_now, emergency=emergency)
        action = machine.start()
        for index, keys in enumerate(walk.entries):
            points.setdefault(machine.where, walk.entries[:index])
            action = _replay(machine, action, keys, entries)
            if isinstance(action, TERMINAL_ACTIONS):
                break
        else:
            points.setdefault(machine.where, walk.entries)
    return points


def _replay(
    machine: IvrMachine, action: Action, keys: str, entries: Mapping[str, list[Entry]]
) -> Action:
    event: Event = _event_for(action, keys)
    action = machine.handle(event)
    while isinstance(action, Lookup):
        action = machine.handle(LookupDone(_result_of(machine, entries, action.value)))
    return action


def _result_of(machine: IvrMachine, entries: Mapping[str, list[Entry]], value: str) -> str:
    node = machine.node
    if isinstance(node, LookupNode):
        for entry in entries.get(node.input, []):
            if entry.digits.rstrip("#") == value and entry.result:
                return entry.result
    return "error"


def _event_for(action: Action, keys: str) -> Event:
    if keys:
        return DigitsEntered(keys.rstrip("#") if isinstance(action, CollectDigits) else keys[0])
    return NoInput() if isinstance(action, CollectDigits) else PlayFinished()


def _inputs(
    config: HotlineConfig,
    machine: IvrMachine,
    action: Action,
    entries: Mapping[str, list[Entry]],
    language: str | None,
    pending: str,
) -> Iterator[tuple[str, Event, str]]:
    """(keys typed, the event the driver gives the machine, the look-up result to expect)."""
    if isinstance(action, Lookup):
        yield "", LookupDone(pending or "error"), ""
        return
    if isinstance(action, Play):
        yield "", PlayFinished(), ""
        return
    if not isinstance(action, CollectDigits):
        return
    yield "", NoInput(), ""
    yield "*", DigitsEntered("*"), ""
    if action.max_digits == 1:
        if machine.where == "language" and machine.state.value.startswith("language"):
            digits = [d for d, lang in LANGUAGE_DIGITS.items() if language in (None, lang)]
            digits += [d for d in "123456789" if d not in LANGUAGE_DIGITS]
        else:
            digits = list("0123456789#")
        for digit in digits:
            yield digit, DigitsEntered(digit), ""
        return
    node = machine.node
    if isinstance(node, CollectNode):
        for entry in entries.get(node.store, []):
            yield entry.digits, DigitsEntered(entry.digits.rstrip("#")), entry.result


def _signature(machine: IvrMachine, action: Action, result: str) -> tuple[object, ...]:
    return (*machine.snapshot(), action, result)

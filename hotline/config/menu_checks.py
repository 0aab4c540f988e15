"""Checks of a menu that need the whole hotline file: every `goto` names a node, every node
can be reached, every topic has a queue, every last try leads somewhere, no loop of `goto`s.

Each problem comes with its field path (`menu.nodes.<id>.<field>`) so the loader can name
the YAML line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from hotline.config.menu import (
    CallbackNode,
    ChoiceNode,
    CollectNode,
    GotoNode,
    LookupNode,
    MenuConfig,
    Target,
)
from hotline.config.types import check_prompt

if TYPE_CHECKING:
    from hotline.config.schema import HotlineConfig

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]


def check_menu(config: HotlineConfig) -> Iterator[Problem]:
    menu = config.menu
    yield from _check_closed_prompt(config)
    yield from _check_entries(menu)
    yield from _check_targets(config)
    yield from _check_fallbacks(config)
    yield from _check_lookups(menu)
    yield from _check_goto_loops(menu)
    yield from _check_reachable(menu)


def entry_nodes(menu: MenuConfig) -> list[str]:
    """The nodes a call can start at: `start`, the emergency node, the closed-hours node."""
    entries = [menu.start]
    if menu.emergency is not None:
        entries.append(menu.emergency.node)
    if menu.closed_node is not None:
        entries.append(menu.closed_node)
    return [name for name in dict.fromkeys(entries) if name in menu.nodes]


def reachable_nodes(menu: MenuConfig) -> set[str]:
    seen: set[str] = set()
    todo = entry_nodes(menu)
    while todo:
        name = todo.pop()
        if name in seen or name not in menu.nodes:
            continue
        seen.add(name)
        todo += [t.goto for _, t in menu.nodes[name].targets() if t.goto is not None]
    return seen


def _check_closed_prompt(config: HotlineConfig) -> Iterator[Problem]:
    if config.may_close and config.menu.closed_prompt is None:
        # The default `closed-<id>` becomes a file name: an id with capitals or dots
        # cannot make one.
        try:
            check_prompt(config.closed_prompt)
        except ValueError:
            yield (
                ("menu", "closed_prompt"),
                f"the default closed prompt {config.closed_prompt!r} is not a valid prompt id "
                "(a-z, 0-9, '_', '-'): set menu.closed_prompt",
            )


# The steps before the first node, as call records name them (hotline.ivr.machine.PSEUDO_NODES).
RESERVED_NODE_IDS = ("language", "greeting", "emergency-announcement", "closed-hours")


def _check_entries(menu: MenuConfig) -> Iterator[Problem]:
    nodes = sorted(menu.nodes)
    for name in menu.nodes:
        if name in RESERVED_NODE_IDS:
            yield (
                ("menu", "nodes", name),
                f"{name!r} is reserved for a step before the nodes {RESERVED_NODE_IDS}",
            )
    if menu.start not in menu.nodes:
        yield ("menu", "start"), f"start node {menu.start!r} is not among nodes {nodes}"
    if menu.emergency is not None and menu.emergency.node not in menu.nodes:
        yield (
            ("menu", "emergency", "node"),
            f"node {menu.emergency.node!r} is not among nodes {nodes}",
        )
    if menu.closed_node is not None and menu.closed_node not in menu.nodes:
        yield ("menu", "closed_node"), f"node {menu.closed_node!r} is not among nodes {nodes}"


def _target_problem(config: HotlineConfig, target: Target) -> tuple[str, str] | None:
    """(the field, the message) if `target` leads nowhere."""
    menu = config.menu
    if target.goto is not None and target.goto not in menu.nodes:
        return "goto", f"node {target.goto!r} is not among nodes {sorted(menu.nodes)}"
    topic = target.queue_topic
    # The IVR falls back to the default language's queue, so that one must exist.
    if topic is not None and config.queue_for_topic(topic, config.default_language) is None:
        return (
            "queue_topic",
            f"no queue for topic {topic!r} in the default language {config.default_language!r}",
        )
    return None


def _check_targets(config: HotlineConfig) -> Iterator[Problem]:
    for name, node in config.menu.nodes.items():
        for loc, target in node.targets():
            problem = _target_problem(config, target)
            if problem is None:
                continue
            field, message = problem
            # A node's own field (`topic`, `target`) or a target mapping's field.
            is_own_field = loc[-1] in ("topic", "target")
            yield ("menu", "nodes", name, *loc, *(() if is_own_field else (field,))), message


def _check_fallbacks(config: HotlineConfig) -> Iterator[Problem]:
    menu = config.menu
    if menu.operator_topic is not None:
        problem = _target_problem(config, Target(queue_topic=menu.operator_topic))
        if problem is not None:
            yield ("menu", "operator_topic"), problem[1]
    elif menu.operator_digit is not None:
        yield (
            ("menu", "operator_digit"),
            "an operator key needs menu.operator_topic (the operators' queue topic)",
        )
    for name, node in menu.nodes.items():
        if (
            isinstance(node, ChoiceNode | CollectNode | CallbackNode)
            and node.after_tries is None
            and menu.operator_topic is None
        ):
            yield (
                ("menu", "nodes", name, "after_tries"),
                "where does the caller go after the last try? Set after_tries, or "
                "menu.operator_topic for all nodes",
            )


def _check_lookups(menu: MenuConfig) -> Iterator[Problem]:
    stores = {node.store for node in menu.nodes.values() if isinstance(node, CollectNode)}
    for name, node in menu.nodes.items():
        if isinstance(node, LookupNode) and node.input not in stores:
            yield (
                ("menu", "nodes", name, "input"),
                f"no collect node stores {node.input!r} (stores: {sorted(stores)})",
            )


def _check_goto_loops(menu: MenuConfig) -> Iterator[Problem]:
    # A loop of goto nodes would spin without the caller hearing anything.
    for name, node in menu.nodes.items():
        seen = {name}
        current: object = node
        while isinstance(current, GotoNode) and current.target in menu.nodes:
            if current.target in seen:
                yield (
                    ("menu", "nodes", name, "target"),
                    f"goto nodes loop back to {current.target!r} without asking the caller",
                )
                break
            seen.add(current.target)
            current = menu.nodes[current.target]


def _check_reachable(menu: MenuConfig) -> Iterator[Problem]:
    reachable = reachable_nodes(menu)
    entries = ", ".join(entry_nodes(menu))
    for name in menu.nodes:
        if name not in reachable:
            yield (
                ("menu", "nodes", name),
                f"node {name!r} cannot be reached from {entries}: a caller would never hear it",
            )

"""A hotline's menu as a Mermaid flowchart, drawn from its configuration alone.

The diagram follows the caller's path as `IvrMachine` runs it: the language choice (skipped
when the hotline offers one language), then the ways into the menu: the greeting (if any) and
`start`; dashed, "emergency mode": the emergency announcement, then `emergency.node`; dashed,
"outside hours" (a hotline with opening hours or holidays): the closed prompt (the hours), then
`closed_node` or the end of the call. Then every menu node, one shape per kind:

    choice {rhombus}    announcement >flag]    collect [/trapezoid\\]    lookup [[subroutine]]
    queue (rounded)     callback {{hexagon}}   hang-up (((end)))         goto ((circle))

labelled with its id, its kind and its key facts (prompts, tries, the collect validator and
length, the look-up service and list, the call-back topic), with an edge per key ("1", "2",
...), the '*' repeat, the operator key ("0: operator", when `menu.operator_digit` is set and
the node has no option of its own for that key), a dotted "after N tries" edge (to
`after_tries`, by default the operator topic), one edge for all of a look-up's results.
Queue topics are the terminal [(cylinders)], each naming the queue a caller reaches in each
language (`queue_for_topic`, with its fall-back to the first language).

The output is deterministic: keys in keypad order (1-9, 0, #), languages in the hotline's
order, nodes from `start` on (then the emergency and closed-hours nodes, then any node no
path reaches), each node followed by its edges.

Node ids are made from names by replacing every character outside [A-Za-z0-9_] (and made
unique), behind a kind prefix (`node_`, `topic_`, ...), so no id is a Mermaid keyword or reads
as an edge ending (`o`, `x`); every label is quoted, with the characters that could end it or
be read as markup written as Mermaid entity codes (`#quot;` ...), so any name is safe.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from hotline.config.menu import (
    AnnouncementNode,
    CallbackNode,
    ChoiceNode,
    CollectNode,
    GotoNode,
    HangupNode,
    LookupNode,
    MenuConfig,
    MenuNode,
    QueueNode,
    Target,
)
from hotline.config.menu_checks import entry_nodes
from hotline.config.schema import HotlineConfig
from hotline.ivr.machine import ACCEPT_DIGIT, DECLINE_DIGIT, LANGUAGE_DIGITS, REPEAT_DIGIT

_KEYPAD_ORDER = "1234567890#"
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9_]")
# Characters that could close a quoted label, start an entity code or be read as HTML or
# Mermaid syntax; each is written as an entity code. Line breaks and other control
# characters become spaces.
_ENTITIES = {
    '"': "#quot;",
    "#": "#35;",
    "&": "#amp;",
    "<": "#lt;",
    ">": "#gt;",
    "[": "#91;",
    "]": "#93;",
    "{": "#123;",
    "}": "#125;",
    "|": "#124;",
    ";": "#59;",
    "`": "#96;",
}
_BR = "<br/>"

# The brackets around a label, by what the node is.
_SHAPES = {
    "choice": "{}",
    "announcement": ">]",
    "collect": "[/\\]",
    "lookup": "[[]]",
    "queue": "()",
    "callback": "{{}}",
    "hangup": "((()))",
    "goto": "(())",
}
_CALL_SHAPE = "([])"
_LANGUAGE_SHAPE = "[]"
_PROMPT_SHAPE = "[//]"  # the greeting, the emergency announcement, the closed prompt
_TOPIC_SHAPE = "[()]"
_END_SHAPE = _SHAPES["hangup"]
_MISSING_SHAPE = "[]"


def escape_label(text: str) -> str:
    """`text` safe inside a double-quoted Mermaid label."""
    return "".join(
        _ENTITIES.get(char, " " if ord(char) < 32 or ord(char) == 127 else char) for char in text
    )


def _digit_order(digit: str) -> tuple[int, str]:
    position = _KEYPAD_ORDER.find(digit)
    return (position if position >= 0 else len(_KEYPAD_ORDER), digit)


def _number(value: float) -> str:
    return f"{value:g}"


class _Diagram:
    """Mermaid lines under construction, with valid and unique node ids."""

    def __init__(self) -> None:
        self.lines = ["flowchart TD"]
        self._ids: dict[tuple[str, str], str] = {}
        self._taken: set[str] = set()

    def id(self, kind: str, name: str) -> str:
        """The node id for `name` of `kind` ("node", "topic", ...), the same on every call."""
        key = (kind, name)
        if key not in self._ids:
            base = f"{kind}_{_UNSAFE_ID_CHARS.sub('_', name)}"
            candidate, suffix = base, 2
            while candidate in self._taken:
                candidate, suffix = f"{base}_{suffix}", suffix + 1
            self._taken.add(candidate)
            self._ids[key] = candidate
        return self._ids[key]

    def node(self, node_id: str, shape: str, *parts: str) -> None:
        """Define a node; `shape` is its brackets around the label, e.g. "[]" or "{{}}"."""
        half = len(shape) // 2
        label = _BR.join(escape_label(part) for part in parts)
        self.lines.append(f'    {node_id}{shape[:half]}"{label}"{shape[half:]}')

    def edge(self, source: str, target: str, label: str = "", *, dotted: bool = False) -> None:
        arrow = "-.->" if dotted else "-->"
        text = f'|"{escape_label(label)}"| ' if label else " "
        self.lines.append(f"    {source} {arrow}{text}{target}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


class _Exit(NamedTuple):
    """An edge out of a menu node: to a node (`goto`) or a queue topic."""

    label: str
    goto: str | None = None
    topic: str | None = None
    dotted: bool = False


def menu_mermaid(config: HotlineConfig) -> str:
    """The menu of `config` as a Mermaid `flowchart TD`, ending with a newline."""
    diagram = _Diagram()
    languages = _draw_languages(diagram, config)
    _draw_entries(diagram, config, languages)
    topics: dict[str, None] = {}
    for name in _node_order(config.menu):
        for topic in _draw_node(diagram, config, name, config.menu.nodes[name]):
            topics[topic] = None
    for topic in topics:
        _draw_topic(diagram, config, topic)
    for name in _missing_nodes(config.menu):
        diagram.node(diagram.id("node", name), _MISSING_SHAPE, f"{name}: no such node")
    return diagram.text()


# --- before the menu nodes -------------------------------------------------------------------


def _draw_languages(diagram: _Diagram, config: HotlineConfig) -> list[str]:
    """The call, the language choice (when there is one); return the language nodes' ids."""
    menu = config.menu
    call = diagram.id("call", config.id)
    diagram.node(call, _CALL_SHAPE, f"call to {config.number}", config.name)
    languages: dict[str, str] = {
        language: diagram.id("language", language) for language in config.languages
    }
    if len(config.languages) == 1:
        only = config.default_language
        diagram.node(languages[only], _LANGUAGE_SHAPE, f"language {only} (the only one)")
        diagram.edge(call, languages[only])
        return list(languages.values())
    choice = diagram.id("choice", "language")
    diagram.node(
        choice,
        _SHAPES["choice"],
        f"language choice: {menu.language_prompt}",
        f"tries {menu.language_tries}, timeout {_number(menu.language_timeout_s)} s",
    )
    diagram.edge(call, choice)
    for language, language_id in languages.items():
        diagram.node(language_id, _LANGUAGE_SHAPE, f"language {language}")
    offered = [digit for digit, language in LANGUAGE_DIGITS.items() if language in languages]
    for digit in sorted(offered, key=_digit_order):
        diagram.edge(choice, languages[LANGUAGE_DIGITS[digit]], digit)
    diagram.edge(choice, choice, f"{REPEAT_DIGIT} repeat")
    diagram.edge(
        choice,
        languages[config.default_language],
        f"after {menu.language_tries} tries",
        dotted=True,
    )
    return list(languages.values())


def _draw_entries(diagram: _Diagram, config: HotlineConfig, languages: list[str]) -> None:
    """After the language: the greeting and `start`, emergency mode, outside the hours."""
    menu = config.menu
    start = diagram.id("node", menu.start)
    after_language = start
    if menu.greeting is not None:
        after_language = diagram.id("greeting", menu.greeting)
        diagram.node(after_language, _PROMPT_SHAPE, f"greeting: {menu.greeting}")
    for language_id in languages:
        diagram.edge(language_id, after_language)
    if after_language != start:
        diagram.edge(after_language, start)

    if menu.emergency is not None:
        announcement = diagram.id("emergency", menu.emergency.announcement)
        diagram.node(
            announcement,
            _PROMPT_SHAPE,
            f"emergency announcement: {menu.emergency.announcement}",
            "no greeting",
        )
        for language_id in languages:
            diagram.edge(language_id, announcement, "emergency mode", dotted=True)
        diagram.edge(announcement, diagram.id("node", menu.emergency.node), dotted=True)

    if config.may_close or menu.closed_node is not None:
        closed = diagram.id("closed", config.closed_prompt)
        diagram.node(
            closed,
            _PROMPT_SHAPE,
            f"closed: {config.closed_prompt}",
            _closed_when(config),
            "a way to an operator ends the call",
        )
        for language_id in languages:
            diagram.edge(language_id, closed, "outside hours", dotted=True)
        if menu.closed_node is not None:
            diagram.edge(closed, diagram.id("node", menu.closed_node), dotted=True)
        else:
            # Not "end...": `end` is a Mermaid keyword.
            ended = diagram.id("hangup", "closed")
            diagram.node(ended, _END_SHAPE, "call ends: closed")
            diagram.edge(closed, ended, dotted=True)


def _closed_when(config: HotlineConfig) -> str:
    when = f"outside hours {config.hours}" if config.opening_minutes is not None else ""
    if config.holidays:
        when = f"{when} or on a holiday" if when else "on a holiday"
    return when or "never: open 24/7, no holidays"


# --- the menu nodes ------------------------------------------------------------------------


def _node_order(menu: MenuConfig) -> list[str]:
    """Each entry node and the nodes it leads to (breadth first), then any node left over."""
    order: dict[str, None] = {}
    for entry in entry_nodes(menu):
        todo = [entry]
        while todo:
            name = todo.pop(0)
            if name in order or name not in menu.nodes:
                continue
            order[name] = None
            todo += [t.goto for _, t in menu.nodes[name].targets() if t.goto is not None]
    return [*order, *sorted(name for name in menu.nodes if name not in order)]


def _missing_nodes(menu: MenuConfig) -> list[str]:
    """Node names a target or an entry gives that are not among the nodes (check-config
    refuses them; the machine sends such a caller to an operator)."""
    names = [menu.start, menu.closed_node, menu.emergency.node if menu.emergency else None]
    for node in menu.nodes.values():
        names += [target.goto for _, target in node.targets()]
    return [n for n in dict.fromkeys(names) if n is not None and n not in menu.nodes]


def _draw_node(diagram: _Diagram, config: HotlineConfig, name: str, node: MenuNode) -> list[str]:
    """Draw one menu node and its edges; return the queue topics it leads to, in order."""
    node_id = diagram.id("node", name)
    diagram.node(node_id, _SHAPES[node.kind], f"{name} ({node.kind})", *_facts(node))
    topics: list[str] = []
    for exit_ in _exits(config, node):
        if exit_.topic is not None:
            target = diagram.id("topic", exit_.topic)
            topics.append(exit_.topic)
        else:
            assert exit_.goto is not None
            target = diagram.id("node", exit_.goto)
        diagram.edge(node_id, target, exit_.label, dotted=exit_.dotted)
    if isinstance(node, ChoiceNode | CollectNode | CallbackNode):
        diagram.edge(node_id, node_id, f"{REPEAT_DIGIT} repeat")
    return topics


def _facts(node: MenuNode) -> list[str]:
    """The label lines after "<id> (<kind>)"."""
    match node:
        case ChoiceNode():
            return [f"prompt {node.prompt}", _tries(node)]
        case AnnouncementNode():
            return [f"prompt {node.prompt}"]
        case CollectNode():
            return _collect_facts(node)
        case LookupNode():
            service = node.service if node.list is None else f"{node.service}: {node.list}"
            return [service, f"input {node.input}"]
        case QueueNode():
            priority = "" if node.priority is None else f", priority {node.priority}"
            return [f"topic {node.topic}{priority}"]
        case CallbackNode():
            return [
                f"prompt {node.prompt}",
                f"topic {node.topic}, confirm {node.confirm_prompt}",
                _tries(node),
            ]
        case HangupNode():
            return [f"prompt {node.prompt}" if node.prompt is not None else "no prompt"]
        case GotoNode():
            return []


def _collect_facts(node: CollectNode) -> list[str]:
    if node.min_digits == node.max_digits:
        length = f"{node.min_digits} digits"
    else:
        length = f"{node.min_digits}-{node.max_digits} digits"
    facts = [f"prompt {node.prompt}", f"{length}, validator {node.validator}"]
    if node.invalid_prompt is not None:
        facts.append(f"invalid {node.invalid_prompt}")
    return [*facts, f"stores {node.store}", _tries(node)]


def _tries(node: ChoiceNode | CollectNode | CallbackNode) -> str:
    return f"tries {node.tries}, timeout {_number(node.timeout_s)} s"


def _exits(config: HotlineConfig, node: MenuNode) -> list[_Exit]:
    """The node's edges: its keys (keypad order) or its `next`, the operator key, the last
    try; every target of `node.targets()` is among them."""
    match node:
        case ChoiceNode():
            digits = sorted(node.options, key=_digit_order)
            exits = [_to(digit, node.options[digit]) for digit in digits]
            return [*exits, *_operator_key(config, set(digits)), _after_tries(config, node)]
        case CallbackNode():
            exits = [
                _Exit(f"{ACCEPT_DIGIT}: call-back request", topic=node.topic),
                _to(f"{DECLINE_DIGIT}: decline", node.decline),
            ]
            keys = {ACCEPT_DIGIT, DECLINE_DIGIT}
            return [*exits, *_operator_key(config, keys), _after_tries(config, node)]
        case CollectNode():
            # Digit collections read every key as data: no operator key.
            return [_to("valid number", node.next), _after_tries(config, node)]
        case AnnouncementNode():
            return [_to("", node.next)]
        case LookupNode():
            # One edge for all results: each plays its prompt, then `next`.
            return [_to(", ".join(node.results), node.next)]
        case QueueNode():
            return [_Exit("", topic=node.topic)]
        case HangupNode():
            return []
        case GotoNode():
            return [_Exit("", goto=node.target)]


def _to(label: str, target: Target, *, dotted: bool = False) -> _Exit:
    return _Exit(label, goto=target.goto, topic=target.queue_topic, dotted=dotted)


def _operator_topic(config: HotlineConfig) -> str:
    """Where the machine's `_to_operator` sends a caller."""
    topic = config.menu.operator_topic
    return topic if topic is not None else config.queues[0].topic


def _operator_key(config: HotlineConfig, keys: set[str]) -> list[_Exit]:
    """The "0: operator" edge of a choice or call-back node whose own keys leave it free."""
    digit = config.menu.operator_digit
    if digit is None or digit in keys:
        return []
    return [_Exit(f"{digit}: operator", topic=_operator_topic(config))]


def _after_tries(config: HotlineConfig, node: ChoiceNode | CollectNode | CallbackNode) -> _Exit:
    label = f"after {node.tries} tries"
    if node.after_tries is None:
        return _Exit(label, topic=_operator_topic(config), dotted=True)
    return _to(label, node.after_tries, dotted=True)


# --- the ends: queue topics ------------------------------------------------------------------


def _draw_topic(diagram: _Diagram, config: HotlineConfig, topic: str) -> None:
    """A terminal node: the topic, and the queue a caller reaches in each language."""
    by_queue: dict[str, list[str]] = {}
    for language in config.languages:
        queue = config.queue_for_topic(topic, language)
        # As the machine does: a config that skipped cross_check may lack the queue.
        queue_id = queue.id if queue is not None else config.queues[0].id
        by_queue.setdefault(queue_id, []).append(language)
    operator = " (operator)" if topic == _operator_topic(config) else ""
    diagram.node(
        diagram.id("topic", topic),
        _TOPIC_SHAPE,
        f"queue topic: {topic}{operator}",
        *(f"{queue_id}: {', '.join(langs)}" for queue_id, langs in by_queue.items()),
    )

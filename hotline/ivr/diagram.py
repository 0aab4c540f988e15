"""A hotline's menu as a Mermaid flowchart, drawn from its configuration alone.

The diagram follows the caller's path as `IvrMachine` runs it: the language choice (skipped
when the hotline offers one language), the greeting if any, then each menu node with its
digits -> topic -> the queue a caller reaches in each language (`queue_for_topic`, with its
fall-back to the first language), the '*' repeat and the "tries used up -> default topic"
edge; for a hotline that can close (opening hours or holidays), the closed branch: after the
language, the closed prompt (the hours), then the call ends. The output is deterministic:
digits in keypad order (1-9, 0, #), languages in the hotline's order, nodes from `start` on.

Node ids are made from names by replacing every character outside [A-Za-z0-9_] (and made
unique); every label is quoted, with the characters that could end it or be read as markup
written as Mermaid entity codes (`#quot;` ...), so any prompt id or topic is safe.
"""

from __future__ import annotations

import re

from hotline.config.schema import ChoiceNode, HotlineConfig
from hotline.ivr.machine import LANGUAGE_DIGITS, REPEAT_DIGIT

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


def menu_mermaid(config: HotlineConfig) -> str:
    """The menu of `config` as a Mermaid `flowchart TD`, ending with a newline."""
    menu = config.menu
    diagram = _Diagram()
    call = diagram.id("call", config.id)
    diagram.node(call, "([])", f"call to {config.number}", config.name)

    # --- language choice (the machine skips it when one language is offered) ---
    languages: dict[str, str] = {
        language: diagram.id("language", language) for language in config.languages
    }
    if len(config.languages) > 1:
        choice = diagram.id("choice", "language")
        diagram.node(
            choice,
            "{}",
            f"language choice: {menu.language_prompt}",
            f"tries {menu.language_tries}, timeout {_number(menu.language_timeout_s)} s",
        )
        diagram.edge(call, choice)
        for language, language_id in languages.items():
            diagram.node(language_id, "[]", f"language {language}")
        offered = [digit for digit, language in LANGUAGE_DIGITS.items() if language in languages]
        for digit in sorted(offered, key=_digit_order):
            diagram.edge(choice, languages[LANGUAGE_DIGITS[digit]], digit)
        diagram.edge(choice, choice, f"{REPEAT_DIGIT} repeat")
        diagram.edge(
            choice,
            languages[config.default_language],
            f"silence or wrong digit: {menu.invalid_prompt}, {menu.language_tries} tries used up",
            dotted=True,
        )
    else:
        only = config.default_language
        diagram.node(languages[only], "[]", f"language {only} (the only one)")
        diagram.edge(call, languages[only])

    # --- greeting, then the start node ---
    start = diagram.id("node", menu.start)
    after_language = start
    if menu.greeting is not None:
        after_language = diagram.id("greeting", menu.greeting)
        diagram.node(after_language, "[//]", f"greeting: {menu.greeting}")
    for language_id in languages.values():
        diagram.edge(language_id, after_language)
    if after_language != start:
        diagram.edge(after_language, start)

    # --- outside the opening hours: the hours are said, then the call ends ---
    if config.may_close:
        closed = diagram.id("prompt", config.closed_prompt)
        when = f"outside hours {config.hours}" if config.opening_minutes is not None else ""
        if config.holidays:
            when = f"{when} or on a holiday" if when else "on a holiday"
        diagram.node(closed, "[//]", f"closed: {config.closed_prompt}", when)
        # Not "end...": `end` is a Mermaid keyword.
        ended = diagram.id("hangup", "closed")
        diagram.node(ended, "([])", "call ends: closed")
        for language_id in languages.values():
            diagram.edge(language_id, closed, "closed", dotted=True)
        diagram.edge(closed, ended)

    # --- menu nodes: the start node first, then the others by name ---
    topics: dict[str, None] = {}
    for name in [menu.start, *sorted(name for name in menu.nodes if name != menu.start)]:
        for topic in _menu_node(diagram, config, name, menu.nodes[name]):
            topics[topic] = None

    # --- each topic -> the queue a caller reaches in each language ---
    queues: dict[str, None] = {}
    for topic in topics:
        topic_id = diagram.id("topic", topic)
        diagram.node(topic_id, "{{}}", f"topic: {topic}")
        by_queue: dict[str, list[str]] = {}
        for language in config.languages:
            queue = config.queue_for_topic(topic, language)
            # As the machine does: a config that skipped cross_check may lack the queue.
            queue_id = queue.id if queue is not None else config.queues[0].id
            by_queue.setdefault(queue_id, []).append(language)
        for queue_id, queue_languages in by_queue.items():
            diagram.edge(topic_id, diagram.id("queue", queue_id), ", ".join(queue_languages))
            queues[queue_id] = None
    for queue_id in queues:
        diagram.node(diagram.id("queue", queue_id), "[()]", queue_id)
    return diagram.text()


def _menu_node(diagram: _Diagram, config: HotlineConfig, name: str, node: ChoiceNode) -> list[str]:
    """Draw one choice node and its edges; return the topics it routes to, in order."""
    node_id = diagram.id("node", name)
    diagram.node(
        node_id,
        "{}",
        f"{name}: {node.prompt}",
        f"tries {node.tries}, timeout {_number(node.timeout_s)} s",
    )
    topics: list[str] = []
    for digit in sorted(node.options, key=_digit_order):
        topic = node.options[digit].queue_topic
        diagram.edge(node_id, diagram.id("topic", topic), digit)
        topics.append(topic)
    diagram.edge(node_id, node_id, f"{REPEAT_DIGIT} repeat")
    diagram.edge(
        node_id,
        diagram.id("topic", node.default_topic),
        f"silence or wrong digit: {config.menu.invalid_prompt}, {node.tries} tries used up",
        dotted=True,
    )
    topics.append(node.default_topic)
    return topics

"""The Mermaid menu diagram: drawn from the shipped hotlines, safe for any name, and the CLI."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import NamedTuple

import pytest

from hotline.cli import main
from hotline.config import (
    CallbackNode,
    ChoiceNode,
    CollectNode,
    HotlineConfig,
    LookupNode,
    MenuConfig,
    Target,
    load_hotline,
)
from hotline.ivr.diagram import escape_label, menu_mermaid

HOTLINES = Path(__file__).resolve().parents[2] / "config" / "hotlines"
SHIPPED = sorted(HOTLINES.glob("*.yaml"))

MERMAID_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# The shapes the diagram uses: opening bracket -> closing bracket.
SHAPES = {
    "(((": ")))",
    "((": "))",
    "([": "])",
    "[(": ")]",
    "[[": "]]",
    "[/": ["/]", "\\]"],
    "{{": "}}",
    "[": "]",
    "{": "}",
    "(": ")",
    ">": "]",
}
# `    id<open>"label"<close>`: a node definition with a quoted label.
NODE_RE = re.compile(
    r'^    (?P<id>[A-Za-z0-9_]+)(?P<open>[\[({>/]*)"(?P<label>[^"]*)"(?P<close>[\])}/\\]*)$'
)
# `    source -->|"label"| target` or `    source --> target` (also `-.->`).
EDGE_RE = re.compile(
    r'^    (?P<src>\S+) (?P<arrow>-\.?->)(?:\|"(?P<label>[^"]*)"\|)? (?P<dst>\S+)$'
)


class Parsed(NamedTuple):
    nodes: dict[str, str]  # label by id
    shapes: dict[str, str]  # opening bracket by id
    edges: list[tuple[str, str, str]]  # (source, label, target)
    dotted: set[tuple[str, str, str]]


def parse(text: str) -> Parsed:
    """The diagram's nodes and edges; fails on any other line or an unknown shape."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    parsed = Parsed({}, {}, [], set())
    for line in lines[1:]:
        if edge := EDGE_RE.match(line):
            found = (edge["src"], edge["label"] or "", edge["dst"])
            parsed.edges.append(found)
            if edge["arrow"] == "-.->":
                parsed.dotted.add(found)
        elif node := NODE_RE.match(line):
            assert node["id"] not in parsed.nodes, f"{node['id']} defined twice"
            close = SHAPES.get(node["open"])
            assert close is not None, line
            assert node["close"] in (close if isinstance(close, list) else [close]), line
            parsed.nodes[node["id"]] = node["label"]
            parsed.shapes[node["id"]] = node["open"]
        else:
            pytest.fail(f"unexpected line {line!r}")
    return parsed


def node_id(nodes: dict[str, str], label_start: str) -> str:
    (found,) = [id_ for id_, label in nodes.items() if label.startswith(label_start)]
    return found


def menu_node_id(nodes: dict[str, str], name: str, kind: str) -> str:
    return node_id(nodes, f"{name} ({kind})")


def topic_id(nodes: dict[str, str], topic: str) -> str:
    (found,) = [
        id_
        for id_, label in nodes.items()
        if re.match(rf"queue topic: {re.escape(topic)}\b", label)
    ]
    return found


def target_id(config: HotlineConfig, nodes: dict[str, str], target: Target) -> str:
    if target.goto is not None:
        return menu_node_id(nodes, target.goto, config.menu.nodes[target.goto].kind)
    assert target.queue_topic is not None
    return topic_id(nodes, target.queue_topic)


def out_of(parsed: Parsed, source: str) -> list[tuple[str, str, str]]:
    return [edge for edge in parsed.edges if edge[0] == source]


@pytest.fixture(params=SHIPPED, ids=[path.stem for path in SHIPPED])
def config(request: pytest.FixtureRequest) -> HotlineConfig:
    path: Path = request.param
    return load_hotline(path)


def with_menu(config: HotlineConfig, **changes: object) -> HotlineConfig:
    """`config` with its menu changed and checked again (every kind of node is allowed)."""
    menu = MenuConfig.model_validate({**config.menu.model_dump(), **changes})
    return config.model_copy(update={"menu": menu})


def test_three_hotlines_are_shipped() -> None:
    assert len(SHIPPED) == 3


def test_the_diagram_is_a_flowchart_of_well_formed_lines(config: HotlineConfig) -> None:
    text = menu_mermaid(config)
    assert text.startswith("flowchart TD\n")
    assert text.endswith("\n")
    assert text == menu_mermaid(config)  # deterministic
    parsed = parse(text)
    for id_ in parsed.nodes:
        assert MERMAID_ID.match(id_), id_
        assert not id_.startswith(("end", "o", "x")), id_  # read as Mermaid syntax
    for source, _, target in parsed.edges:
        assert source in parsed.nodes, source
        assert target in parsed.nodes, target


def test_every_menu_node_is_drawn_with_its_kind_and_prompts(config: HotlineConfig) -> None:
    parsed = parse(menu_mermaid(config))
    for name, menu_node in config.menu.nodes.items():
        label = parsed.nodes[menu_node_id(parsed.nodes, name, menu_node.kind)]
        for _, prompt in menu_node.prompts():
            if not isinstance(menu_node, LookupNode):  # a result's prompt is not drawn
                assert prompt in label, (name, prompt)


def test_every_target_of_every_node_has_an_edge(config: HotlineConfig) -> None:
    parsed = parse(menu_mermaid(config))
    nodes = parsed.nodes
    for name, menu_node in config.menu.nodes.items():
        source = menu_node_id(nodes, name, menu_node.kind)
        for loc, target in menu_node.targets():
            destination = target_id(config, nodes, target)
            labels = [label for s, label, t in parsed.edges if (s, t) == (source, destination)]
            assert labels, (name, loc)
            match loc:
                case ("options", digit):
                    assert str(digit) in labels
                case ("after_tries",):
                    assert isinstance(menu_node, ChoiceNode | CollectNode | CallbackNode)
                    edge = (source, f"after {menu_node.tries} tries", destination)
                    assert edge in parsed.dotted
                case ("decline",):
                    assert "2: decline" in labels
                case ("topic",) if isinstance(menu_node, CallbackNode):
                    assert "1: call-back request" in labels


def test_every_asking_node_repeats_on_star(config: HotlineConfig) -> None:
    parsed = parse(menu_mermaid(config))
    for name, menu_node in config.menu.nodes.items():
        if isinstance(menu_node, ChoiceNode | CollectNode | CallbackNode):
            source = menu_node_id(parsed.nodes, name, menu_node.kind)
            assert (source, "* repeat", source) in parsed.edges


def test_the_operator_key_is_drawn_where_no_option_takes_it(config: HotlineConfig) -> None:
    parsed = parse(menu_mermaid(config))
    digit = config.menu.operator_digit
    assert digit is not None
    assert config.menu.operator_topic is not None
    operator = topic_id(parsed.nodes, config.menu.operator_topic)
    assert "(operator)" in parsed.nodes[operator]
    drawn = 0
    for name, menu_node in config.menu.nodes.items():
        source = menu_node_id(parsed.nodes, name, menu_node.kind)
        operator_edges = [e for e in out_of(parsed, source) if e[1].endswith(": operator")]
        free = digit not in menu_node.options if isinstance(menu_node, ChoiceNode) else True
        if isinstance(menu_node, ChoiceNode | CallbackNode) and free:
            assert operator_edges == [(source, f"{digit}: operator", operator)], name
            drawn += 1
        else:
            assert operator_edges == [], name
    assert drawn


def test_a_lookup_has_one_edge_labelled_with_its_results(config: HotlineConfig) -> None:
    parsed = parse(menu_mermaid(config))
    lookups = {n: node for n, node in config.menu.nodes.items() if isinstance(node, LookupNode)}
    for name, lookup in lookups.items():
        source = menu_node_id(parsed.nodes, name, "lookup")
        label = parsed.nodes[source]
        assert lookup.service in label
        if lookup.list is not None:
            assert lookup.list in label
        assert out_of(parsed, source) == [
            (source, ", ".join(lookup.results), target_id(config, parsed.nodes, lookup.next))
        ]


def test_topics_are_terminal_and_name_each_languages_queue(config: HotlineConfig) -> None:
    parsed = parse(menu_mermaid(config))
    topics = {
        target.queue_topic
        for menu_node in config.menu.nodes.values()
        for _, target in menu_node.targets()
        if target.queue_topic is not None
    }
    assert topics
    for topic in topics:
        id_ = topic_id(parsed.nodes, topic)
        assert parsed.shapes[id_] == "[("
        assert out_of(parsed, id_) == []
        lines = parsed.nodes[id_].split("<br/>")[1:]
        for language in config.languages:
            queue = config.queue_for_topic(topic, language)
            assert queue is not None
            (line,) = [line for line in lines if line.startswith(f"{queue.id}: ")]
            assert language in line.removeprefix(f"{queue.id}: ").split(", ")


def test_the_language_choice_leads_to_the_greeting_and_start(config: HotlineConfig) -> None:
    parsed = parse(menu_mermaid(config))
    nodes, edges = parsed.nodes, parsed.edges
    choice = node_id(nodes, "language choice: ")
    digits = {"kk": "1", "ru": "2", "en": "3"}
    languages = {language: node_id(nodes, f"language {language}") for language in config.languages}
    for language, language_id in languages.items():
        assert (choice, digits[language], language_id) in edges
    first = languages[config.default_language]
    assert (choice, f"after {config.menu.language_tries} tries", first) in parsed.dotted
    assert config.menu.greeting is not None
    greeting = node_id(nodes, f"greeting: {config.menu.greeting}")
    for language_id in languages.values():
        assert (language_id, "", greeting) in edges
    start = config.menu.start
    assert (greeting, "", menu_node_id(nodes, start, config.menu.nodes[start].kind)) in edges


def test_1414_draws_the_emergency_and_the_closed_paths() -> None:
    config = load_hotline(HOTLINES / "1414.yaml")
    parsed = parse(menu_mermaid(config))
    nodes = parsed.nodes
    languages = [id_ for id_, label in nodes.items() if re.match(r"language \w\w$", label)]
    assert len(languages) == 3

    announcement = node_id(nodes, "emergency announcement: emergency-1414")
    emergency = menu_node_id(nodes, "emergency", "choice")
    closed = node_id(nodes, "closed: closed-1414")
    assert "outside hours 09:00-21:00" in nodes[closed]
    closed_callback = menu_node_id(nodes, "closed-callback", "callback")
    for language in languages:
        assert (language, "emergency mode", announcement) in parsed.dotted
        assert (language, "outside hours", closed) in parsed.dotted
    assert (announcement, "", emergency) in parsed.dotted
    assert (closed, "", closed_callback) in parsed.dotted
    assert not [label for label in nodes.values() if label.startswith("call ends")]


@pytest.mark.parametrize("hotline", ["400-100", "109"])
def test_a_hotline_open_always_has_no_closed_or_emergency_path(hotline: str) -> None:
    nodes = parse(menu_mermaid(load_hotline(HOTLINES / f"{hotline}.yaml"))).nodes
    assert not [label for label in nodes.values() if label.startswith(("closed", "emergency"))]


def test_closed_without_a_closed_node_ends_the_call() -> None:
    config = load_hotline(HOTLINES / "400-100.yaml")
    config = config.model_copy(update={"holidays": [date(2020, 3, 22)]})
    parsed = parse(menu_mermaid(config))
    closed = node_id(parsed.nodes, "closed: closed-400-100")
    assert "on a holiday" in parsed.nodes[closed]
    ended = node_id(parsed.nodes, "call ends: closed")
    assert (closed, "", ended) in parsed.dotted
    assert out_of(parsed, ended) == []


def test_every_kind_has_its_own_shape_and_defaults_go_to_the_operator() -> None:
    config = load_hotline(HOTLINES / "400-100.yaml")
    config = with_menu(
        config,
        start="hello",
        greeting=None,
        operator_digit=None,
        nodes={
            **config.menu.model_dump()["nodes"],
            "hello": {"kind": "announcement", "prompt": "hello", "next": {"goto": "ask"}},
            "ask": {"prompt": "menu", "options": {"1": {"goto": "main"}, "2": {"goto": "jump"}}},
            "jump": {"kind": "goto", "target": "straight"},
            "straight": {"kind": "queue", "topic": "checkpoints", "priority": 7},
            "offer": {
                "kind": "callback",
                "prompt": "offer",
                "confirm_prompt": "ok",
                "topic": "other",
                "decline": {"goto": "bye"},
            },
        },
    )
    parsed = parse(menu_mermaid(config))
    shapes = {
        menu_node.kind: parsed.shapes[menu_node_id(parsed.nodes, name, menu_node.kind)]
        for name, menu_node in config.menu.nodes.items()
    }
    assert len(shapes) == 8
    assert len(set(shapes.values())) == 8, shapes
    nodes = parsed.nodes
    hello = menu_node_id(nodes, "hello", "announcement")
    for language in config.languages:
        assert (node_id(nodes, f"language {language}"), "", hello) in parsed.edges
    assert (hello, "", menu_node_id(nodes, "ask", "choice")) in parsed.edges
    straight = menu_node_id(nodes, "straight", "queue")
    assert (menu_node_id(nodes, "jump", "goto"), "", straight) in parsed.edges
    assert "priority 7" in nodes[straight]
    assert (straight, "", topic_id(nodes, "checkpoints")) in parsed.edges
    # No after_tries: the operator topic; no operator key: no operator edges.
    ask = menu_node_id(nodes, "ask", "choice")
    assert (ask, "after 3 tries", topic_id(nodes, "other")) in parsed.dotted
    assert not [edge for edge in parsed.edges if edge[1].endswith("operator")]
    iin = nodes[menu_node_id(nodes, "iin", "collect")]
    assert "12 digits, validator iin" in iin
    assert "stores iin" in iin


def test_odd_names_give_valid_ids_and_escaped_labels() -> None:
    config = load_hotline(HOTLINES / "400-100.yaml")
    main_node = config.menu.nodes["main"]
    odd_name = 'sub-menu "2"[x]'
    # model_copy and model_construct skip validation: names no YAML file could hold.
    odd_node = main_node.model_copy(
        update={
            "prompt": 'say "hi" [now] {x} | y; <b>#1',
            "after_tries": Target.model_construct(goto=None, queue_topic='odd "topic"]'),
        }
    )
    to_odd = main_node.model_copy(
        update={"options": {"1": Target.model_construct(goto=odd_name, queue_topic=None)}}
    )
    menu = config.menu.model_copy(update={"nodes": {"main": to_odd, odd_name: odd_node}})
    text = menu_mermaid(config.model_copy(update={"menu": menu}))

    parsed = parse(text)  # every line still parses: no label was broken
    for id_ in parsed.nodes:
        assert MERMAID_ID.match(id_), id_
    for source, _, target in parsed.edges:
        assert source in parsed.nodes
        assert target in parsed.nodes
    assert "#quot;hi#quot; #91;now#93;" in text
    assert "#lt;b#gt;#35;1" in text
    assert '"hi"' not in text
    odd = menu_node_id(parsed.nodes, "sub-menu #quot;2#quot;#91;x#93;", "choice")
    assert (menu_node_id(parsed.nodes, "main", "choice"), "1", odd) in parsed.edges
    topic = node_id(parsed.nodes, "queue topic: odd #quot;topic#quot;#93;")
    assert topic.startswith("topic_")
    assert (odd, "after 3 tries", topic) in parsed.dotted


def test_a_missing_node_is_drawn_not_dropped() -> None:
    config = load_hotline(HOTLINES / "400-100.yaml")
    main_node = config.menu.nodes["main"]
    broken = main_node.model_copy(
        update={"options": {"1": Target.model_construct(goto="nowhere", queue_topic=None)}}
    )
    menu = config.menu.model_copy(update={"nodes": {**config.menu.nodes, "main": broken}})
    parsed = parse(menu_mermaid(config.model_copy(update={"menu": menu})))
    missing = node_id(parsed.nodes, "nowhere: no such node")
    assert (menu_node_id(parsed.nodes, "main", "choice"), "1", missing) in parsed.edges


def test_escape_label() -> None:
    assert escape_label('a"b') == "a#quot;b"
    assert escape_label("[x]|y") == "#91;x#93;#124;y"
    assert escape_label("line\nbreak") == "line break"
    assert escape_label("plain-id_1.2") == "plain-id_1.2"


def test_cli_writes_the_diagram(tmp_path: Path) -> None:
    path = tmp_path / "menu.mmd"
    assert main(["menu-diagram", "400-100", "--output", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == menu_mermaid(load_hotline(HOTLINES / "400-100.yaml"))


def test_cli_prints_the_diagram(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["menu-diagram", str(HOTLINES / "109.yaml")]) == 0
    assert capsys.readouterr().out.startswith("flowchart TD\n")


def test_cli_with_an_unknown_hotline_fails_with_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["menu-diagram", "no-such-hotline"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hotline: ")
    assert "no-such-hotline" in err
    assert err.count("\n") == 1


def test_the_readme_shows_the_diagram_of_400_100() -> None:
    readme = (HOTLINES.parents[1] / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```mermaid\n(.*?)```", readme, flags=re.DOTALL)
    assert block == menu_mermaid(load_hotline(HOTLINES / "400-100.yaml"))

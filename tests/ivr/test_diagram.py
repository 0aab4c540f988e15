"""The Mermaid menu diagram: drawn from the shipped hotlines, safe for any name, and the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hotline.cli import main
from hotline.config import HotlineConfig, load_hotline
from hotline.ivr.diagram import escape_label, menu_mermaid

HOTLINES = Path(__file__).resolve().parents[2] / "config" / "hotlines"
SHIPPED = sorted(HOTLINES.glob("*.yaml"))

MERMAID_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# `    id<open>"label"<close>`: a node definition with a quoted label.
NODE_RE = re.compile(
    r'^    (?P<id>\S+?)(?:\(\[|\[\(|\[/|\{\{|\[|\{)"(?P<label>[^"]*)"(?:\]\)|\)\]|/\]|\}\}|\]|\})$'
)
# `    source -->|"label"| target` or `    source --> target` (also `-.->`).
EDGE_RE = re.compile(r'^    (?P<src>\S+) -\.?->(?:\|"(?P<label>[^"]*)"\|)? (?P<dst>\S+)$')


def parse(text: str) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """Node labels by id and (source, label, target) edges; fails on any other line."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str, str]] = []
    for line in lines[1:]:
        if edge := EDGE_RE.match(line):
            edges.append((edge["src"], edge["label"] or "", edge["dst"]))
        elif node := NODE_RE.match(line):
            assert node["id"] not in nodes, f"{node['id']} defined twice"
            nodes[node["id"]] = node["label"]
        else:
            pytest.fail(f"unexpected line {line!r}")
    return nodes, edges


def node_id(nodes: dict[str, str], label_start: str) -> str:
    (found,) = [id_ for id_, label in nodes.items() if label.startswith(label_start)]
    return found


@pytest.fixture(params=SHIPPED, ids=[path.stem for path in SHIPPED])
def config(request: pytest.FixtureRequest) -> HotlineConfig:
    path: Path = request.param
    return load_hotline(path)


def test_three_hotlines_are_shipped() -> None:
    assert len(SHIPPED) == 3


def test_the_diagram_is_a_flowchart_of_well_formed_lines(config: HotlineConfig) -> None:
    text = menu_mermaid(config)
    assert text.startswith("flowchart TD\n")
    assert text == menu_mermaid(config)  # deterministic
    nodes, edges = parse(text)
    for id_ in nodes:
        assert MERMAID_ID.match(id_), id_
    for source, _, target in edges:
        assert source in nodes, source
        assert target in nodes, target


def test_every_digit_reaches_its_topic_and_each_languages_queue(config: HotlineConfig) -> None:
    nodes, edges = parse(menu_mermaid(config))
    topic_ids = {
        label.removeprefix("topic: "): id_
        for id_, label in nodes.items()
        if label.startswith("topic: ")
    }
    queue_ids = {label: id_ for id_, label in nodes.items()}
    for name, menu_node in config.menu.nodes.items():
        source = node_id(nodes, f"{name}: {menu_node.prompt}")
        assert (source, "* repeat", source) in edges
        for digit, option in menu_node.options.items():
            assert (source, digit, topic_ids[option.queue_topic]) in edges
        (default_edge,) = [e for e in edges if e[0] == source and "tries used up" in e[1]]
        assert default_edge[2] == topic_ids[menu_node.default_topic]
        topics = [o.queue_topic for o in menu_node.options.values()] + [menu_node.default_topic]
        for topic in topics:
            for language in config.languages:
                queue = config.queue_for_topic(topic, language)
                assert queue is not None
                assert [
                    label
                    for s, label, t in edges
                    if s == topic_ids[topic]
                    and t == queue_ids[queue.id]
                    and language in label.split(", ")
                ]


def test_the_language_choice_offers_the_hotlines_languages(config: HotlineConfig) -> None:
    nodes, edges = parse(menu_mermaid(config))
    choice = node_id(nodes, "language choice: ")
    digits = {"kk": "1", "ru": "2", "en": "3"}
    for language in config.languages:
        assert (choice, digits[language], node_id(nodes, f"language {language}")) in edges
    first = node_id(nodes, f"language {config.default_language}")
    assert [e for e in edges if e[0] == choice and e[2] == first and "tries used up" in e[1]]
    if config.menu.greeting is not None:
        greeting = node_id(nodes, f"greeting: {config.menu.greeting}")
        assert (greeting, "", node_id(nodes, f"{config.menu.start}: ")) in edges


def test_odd_names_give_valid_ids_and_escaped_labels() -> None:
    config = load_hotline(HOTLINES / "400-100.yaml")
    main_node = config.menu.nodes["main"]
    # model_copy skips validation: prompt ids and topics no YAML file could hold.
    odd_node = main_node.model_copy(
        update={
            "prompt": 'say "hi" [now] {x} | y; <b>#1',
            "default_topic": 'odd "topic"]',
        }
    )
    menu = config.menu.model_copy(
        update={"nodes": {"main": main_node, 'sub-menu "2"[x]': odd_node}}
    )
    text = menu_mermaid(config.model_copy(update={"menu": menu}))

    nodes, edges = parse(text)  # every line still parses: no label was broken
    for id_ in nodes:
        assert MERMAID_ID.match(id_), id_
    for source, _, target in edges:
        assert source in nodes
        assert target in nodes
    assert "#quot;hi#quot; #91;now#93;" in text
    assert "#lt;b#gt;#35;1" in text
    assert '"hi"' not in text
    topic = node_id(nodes, "topic: odd #quot;topic#quot;#93;")
    assert topic.startswith("topic_")


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


def test_a_hotline_with_hours_shows_the_closed_branch() -> None:
    nodes, edges = parse(menu_mermaid(load_hotline(HOTLINES / "1414.yaml")))
    closed = node_id(nodes, "closed: closed-1414")
    assert "outside hours 09:00-21:00" in nodes[closed]
    languages = [id_ for id_, label in nodes.items() if re.match(r"language \w\w$", label)]
    assert len(languages) == 3
    for language in languages:
        assert (language, "closed", closed) in edges
    assert (closed, "", node_id(nodes, "call ends: closed")) in edges
    # 109 is open 24/7 and has no holidays: no closed branch.
    nodes, _ = parse(menu_mermaid(load_hotline(HOTLINES / "109.yaml")))
    assert not [label for label in nodes.values() if label.startswith("closed")]

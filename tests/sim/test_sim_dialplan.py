"""The extensions.conf parser, substitution and `$[...]` expressions."""

from __future__ import annotations

import pytest
from sim_helpers import EXTENSIONS_CONF

from hotline.sim.dialplan import (
    evaluate,
    goto_target,
    load_dialplan,
    parse_dialplan,
    split_condition,
    substitute,
)
from hotline.sim.errors import DialplanError


def test_the_contract_dialplan_parses_with_labels_and_globals() -> None:
    plan = load_dialplan(EXTENSIONS_CONF)
    assert plan.globals["HOTLINE_HOLD_S"] == "20"
    assert plan.globals["HOTLINE_AGI"].startswith("agi://")
    assert "general" not in plan.contexts
    assert {"hotline-in", "hotline-ivr", "hotline-hold", "hotline-connect"} <= set(plan.contexts)
    ivr = plan.step("hotline-ivr", "s", 3)
    assert ivr is not None
    assert (ivr.app, ivr.args) == ("AGI", "${HOTLINE_AGI}/ivr,${HOTLINE_ID}")
    assert plan.resolve_priority("hotline-hold", "s", "loop") == 2
    assert plan.resolve_priority("hotline-ivr", "s", "bye") is not None
    assert plan.resolve_priority("hotline-ivr", "s", "nope") is None


def test_exten_same_labels_comments_and_bare_applications() -> None:
    plan = parse_dialplan(
        "[general]\nstatic = yes\n\n[globals]\nA=1 ; comment\n\n"
        "[ctx] ; a context\n"
        "exten => 100,1,NoOp(semi \\; kept)\n"
        " same => n(again),Answer\n"
        "exten => 100,5,Hangup(16)\n"
        "exten => s,1,Goto(ctx,100,again)\n"
    )
    assert plan.globals == {"A": "1"}
    steps = plan.contexts["ctx"]["100"]
    assert [(s.priority, s.label, s.app, s.args) for s in steps] == [
        (1, None, "NoOp", "semi \\; kept"),
        (2, "again", "Answer", ""),
        (5, None, "Hangup", "16"),
    ]
    assert steps[1].line == 9


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("exten => 1,1,NoOp()\n", 1, "outside of any [section]"),
        ("[c]\nexten => 1,1,NoOp()\n same => 1,NoOp()\n", 3, "duplicate priority 1"),
        ("[c]\n same => n,NoOp()\n", 2, "'same =>' without"),
        ("[c]\nexten => 1,n,NoOp()\n", 2, "priority 'n'"),
        ("[c]\n\nexten => 1,x,NoOp()\n", 3, "bad priority"),
        ("[c]\nexten => 1,1,No Op(\n", 2, "bad application"),
        ("[c]\ninclude => other\n", 2, "unknown directive 'include'"),
        ("[c]\n#include foo.conf\n", 2, "unsupported directive"),
        ("[c]\n[c]\n", 2, "defined twice"),
        ("[c\n", 1, "bad section header"),
    ],
)
def test_errors_name_the_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(DialplanError) as caught:
        parse_dialplan(text, "conf/extensions.conf")
    assert str(caught.value).startswith(f"conf/extensions.conf:{line}: ")
    assert message in str(caught.value)
    assert caught.value.line == line


def test_substitution_uses_the_lookup_and_leaves_unset_empty() -> None:
    values = {"HOTLINE_AGI": "agi://h:1", "ID": "400-100", "INNER": "ID"}
    assert substitute("${HOTLINE_AGI}/ivr,${ID}", values.get) == "agi://h:1/ivr,400-100"
    assert substitute("waiting: ${NOPE}", values.get) == "waiting: "
    assert substitute("${${INNER}}", values.get) == "400-100"
    assert substitute('$["${ID}" = "400-100"]?yes:no', values.get) == "1?yes:no"


@pytest.mark.parametrize(
    ("expression", "result"),
    [
        ('"hold" = "hold"', "1"),
        ('"" = "hold"', "0"),
        ('"x" != "y"', "1"),
        ("3 < 20", "1"),
        ("20 < 3", "0"),
        ("10 >= 10", "1"),
        ("2 + 1", "3"),
        ("400-100 = 400-100", "1"),
        ('"a \\"b" != ""', "1"),
    ],
)
def test_expressions(expression: str, result: str) -> None:
    assert evaluate(expression) == result


def test_gotoif_and_goto_targets() -> None:
    assert split_condition("1?hotline-hold,s,1") == ("1", "hotline-hold,s,1", "")
    assert split_condition("0?bye:loop") == ("0", "bye", "loop")
    assert goto_target("bye", "ctx", "s") == ("ctx", "s", "bye")
    assert goto_target("100,2", "ctx", "s") == ("ctx", "100", "2")
    assert goto_target("other,s,loop", "ctx", "s") == ("other", "s", "loop")

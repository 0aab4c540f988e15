"""Path coverage over FastAGI: every branch of every shipped menu, in Kazakh and Russian,
walked through the simulator; and a hang-up at every place of every menu."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.ivr.machine import PSEUDO_NODES
from hotline.records import Outcome
from hotline.sim import SimCaller
from tests.controller.conftest import DUTY_DIAL, RigFactory
from tests.controller.menu_walks import (
    LANGUAGES,
    expected_branches,
    hang_up_everywhere,
    shipped,
    walk_every_branch,
)

HOTLINES = ("400-100", "109", "1414")
# Each classic AGI call is a Python process: a hotline's walks take up to a minute on 2
# cores, above the suite's default per-test limit.
CLASSIC_TIMEOUT_S = 480
# Over classic AGI each hotline's branches are walked in one language, Kazakh and Russian in
# turn: the menu is the same IvrMachine as over FastAGI, which walks every branch in both
# (above); what the classic walks prove is the script's driver and its hand-over to the
# controller, in both languages across the three. A second language per hotline would
# double the processes (half of this test file's time) for paths already proven.
CLASSIC_LANGUAGE = {"400-100": "ru", "109": "kk", "1414": "ru"}


@pytest.mark.parametrize("hotline_id", HOTLINES)
async def test_every_branch_is_walked_over_fastagi(make_rig: RigFactory, hotline_id: str) -> None:
    taken = await walk_every_branch(make_rig, hotline_id)
    config = shipped(hotline_id)
    for language in LANGUAGES:
        missing = expected_branches(config, language) - taken[language]
        assert not missing, f"{hotline_id} in {language}: no walk took {sorted(missing)}"


@pytest.mark.parametrize("hotline_id", HOTLINES)
async def test_a_hang_up_anywhere_is_recorded_with_its_node(
    make_rig: RigFactory, hotline_id: str
) -> None:
    visited = await hang_up_everywhere(make_rig, hotline_id)
    config = shipped(hotline_id)
    # Every node a caller can be at during an input read (hang-up and queue nodes end the
    # menu at once; a look-up node is where the caller hears the answer).
    asking = {
        name
        for name, node in config.menu.nodes.items()
        if node.kind not in ("hangup", "queue", "goto")
    }
    assert asking <= visited, f"never hung up at {sorted(asking - visited)}"
    assert "language" in visited
    assert "greeting" in visited
    assert visited <= asking | set(PSEUDO_NODES)


@pytest.mark.timeout(CLASSIC_TIMEOUT_S)
@pytest.mark.parametrize("hotline_id", HOTLINES)
async def test_every_branch_is_walked_through_the_classic_agi_script(
    make_rig: RigFactory, hotline_id: str
) -> None:
    language = CLASSIC_LANGUAGE[hotline_id]
    taken = await walk_every_branch(make_rig, hotline_id, (language,), classic=True)
    config = shipped(hotline_id)
    missing = expected_branches(config, language) - taken[language]
    assert not missing, f"{hotline_id} in {language}: no walk took {sorted(missing)}"
    assert set(CLASSIC_LANGUAGE.values()) == set(LANGUAGES)


@pytest.mark.timeout(CLASSIC_TIMEOUT_S)
async def test_a_hang_up_anywhere_in_the_classic_script_is_recorded_with_its_node(
    make_rig: RigFactory,
) -> None:
    # 1414 has every kind of place: the steps before the nodes in all three modes, choices,
    # call-back offers. (Each classic call costs a Python process: one hotline is enough here,
    # the FastAGI test above covers all three.)
    visited = await hang_up_everywhere(make_rig, "1414", classic=True)
    expected = {"language", "greeting", "closed-hours", "emergency-announcement"}
    assert expected | {"main", "callback", "closed-callback", "emergency"} <= visited


async def test_a_classic_script_that_is_missing_still_gives_a_record_and_a_person(
    make_rig: RigFactory, tmp_path: Path
) -> None:
    empty = tmp_path / "agi-bin"
    empty.mkdir()
    rig = await make_rig(hotline=shipped("109"), classic=True, agi_dir=empty)
    call = await rig.call(SimCaller(digits=["2"], think_s=0.3, patience_s=60.0))
    summary = await rig.within(call.ended)
    records = await rig.settle()

    assert summary.operator == DUTY_DIAL  # the fallback group took the caller
    assert [(r.uniqueid, r.outcome) for r in records] == [(call.uniqueid, Outcome.FAILED)]

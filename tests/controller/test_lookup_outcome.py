"""Issue 9, bug 3, through the records: a caller whose list check could not answer (no IIN
key) and who then ends the call is not counted as self-served; the record says what the
look-up gave."""

from __future__ import annotations

import pytest

from hotline.controller.summary import summarise
from hotline.records import Outcome
from hotline.sim import SimCaller
from tests.controller.conftest import RigFactory
from tests.controller.menu_walks import DEMO, OPEN, replay, shipped, walk_rig


def list_check_then_end(iin: str) -> SimCaller:
    # 1 Kazakh, 1 payments, 1 check by IIN, the IIN, then 2 "end the call".
    return SimCaller(digits=["1", "1", "1", iin, "2"], think_s=0.3, patience_s=60.0)


@pytest.mark.parametrize(
    ("with_key", "iin", "outcome", "result"),
    [
        (False, DEMO.listed_iins[0], Outcome.ABANDONED, "error"),
        (True, DEMO.listed_iins[0], Outcome.SELF_SERVED, "found"),
        (True, DEMO.unlisted_iins[0], Outcome.SELF_SERVED, "not_found"),
    ],
)
@pytest.mark.parametrize("classic", [False, True], ids=["fastagi", "classic"])
async def test_a_list_check_counts_as_self_service_only_if_it_answered(
    make_rig: RigFactory,
    with_key: bool,
    iin: str,
    outcome: Outcome,
    result: str,
    classic: bool,
) -> None:
    rig = await walk_rig(make_rig, shipped("400-100"), OPEN, with_key=with_key, classic=classic)
    [record] = await replay(rig, [list_check_then_end(iin)])
    assert (record.outcome, record.lookup_result) == (outcome, result)
    assert record.ivr_path is not None
    assert f"list-check:{result}" in record.ivr_path.split(",")
    assert record.ivr_node == "bye"
    # The stored row says the same, and the summary's self_served follows the outcome.
    [stored] = await rig.records()
    assert stored.lookup_result == result
    summary = summarise(1, [stored], service_level_s=20.0)
    assert summary.self_served == (1 if outcome is Outcome.SELF_SERVED else 0)

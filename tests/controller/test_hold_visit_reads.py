"""A hold visit of a queue with overflow rules reads the caller's place and the queue's
staffing once, for both the rules and the announcement (`hotline.queue.figures`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from hotline.agi.session import AgiSession
from hotline.config import HotlineConfig
from hotline.config.overflow import OverflowRule
from hotline.sim import SimCaller

from .conftest import AT_10, RigFactory, hotline_400_100

# 2 Russian, then 1 social payments: queue social-payments-ru.
RU_SOCIAL = ["2", "1"]
# Modules that read a queue's staffing (before the shared read: the rules and the news).
STAFFING_READERS = (
    "hotline.queue.figures",
    "hotline.controller.overflow",
    "hotline.controller.announcer",
)


def with_a_rule_that_never_fires() -> HotlineConfig:
    """400-100 with one overflow rule on every queue that holds only after an hour: the
    rules are checked at every visit, and the caller waits on."""
    config = hotline_400_100()
    rule = OverflowRule.model_validate({"after_wait_s": 3600, "action": "callback"})
    queues = [q.model_copy(update={"overflow": [rule]}) for q in config.queues]
    return config.model_copy(update={"queues": queues})


async def test_a_hold_visit_reads_the_place_and_the_staffing_once(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = await make_rig(
        hotline=with_a_rule_that_never_fires(),
        present=(),  # nobody to take the call: the caller waits through hold visits
        start=AT_10.timestamp(),  # Friday 10:00 in Almaty
    )
    reads = {"position": 0, "staffing": 0}

    position = rig.acd.position

    async def counted_position(call_id: str) -> int | None:
        reads["position"] += 1
        return await position(call_id)

    monkeypatch.setattr(rig.acd, "position", counted_position)
    for module in STAFFING_READERS:
        original = getattr(__import__(module, fromlist=["x"]), "queue_staffing", None)
        if original is None:
            continue

        def counted(original: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
            async def staffing(*args: Any) -> Any:
                reads["staffing"] += 1
                return await original(*args)

            return staffing

        monkeypatch.setattr(f"{module}.queue_staffing", counted(original))

    visits: list[dict[str, int]] = []
    handlers = rig.controller.agi._handlers
    hold = handlers["hold"]

    async def counted_hold(session: AgiSession) -> None:
        before = dict(reads)
        await hold(session)
        visits.append({name: reads[name] - before[name] for name in reads})

    monkeypatch.setitem(handlers, "hold", counted_hold)

    call = await rig.call(SimCaller(digits=RU_SOCIAL, think_s=0.5, patience_s=100.0))
    await rig.within(call.ended)
    await rig.settle()

    # hold_announce_s 30 and 100 s of patience: three visits, each with the rules checked
    # and the place announced ("nobody on duty" here) from one read of each figure
    assert len(visits) >= 2, visits
    assert visits == [{"position": 1, "staffing": 1}] * len(visits)
    streamed = [
        e["Command"]
        for e in rig.events.matching("AGIExecStart", Channel=call.channel)
        if e["Command"].startswith("STREAM FILE")
    ]
    assert streamed, "the announcement was played"

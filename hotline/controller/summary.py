"""The figures of a run, computed from the call records as stored in SQL."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from hotline.records import CallRecord, Outcome


@dataclass(frozen=True)
class RunSummary:
    """What `hotline simulate --json` writes.

    service_level: the share of calls that reached a queue and were answered within the
    hotline's `service_level_s`, out of all calls that reached a queue (answered or
    abandoned). asa_s: mean wait of the answered calls; aht_s: mean talk time. closed: calls
    outside the opening hours (they heard the hours; never in a queue).
    """

    offered: int
    answered: int
    abandoned: int
    self_served: int
    callbacks: int
    failed: int
    closed: int
    lost: int
    records: int
    service_level: float | None
    asa_s: float | None
    aht_s: float | None
    max_wait_s: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def summarise(offered: int, records: Iterable[CallRecord], service_level_s: float) -> RunSummary:
    rows = list(records)
    by_outcome = {o: [r for r in rows if r.outcome == o] for o in Outcome}
    answered = by_outcome[Outcome.ANSWERED]
    queued = [r for r in rows if r.enqueued_at is not None]
    reached_queue = [r for r in queued if r.outcome in (Outcome.ANSWERED, Outcome.ABANDONED)]
    in_time = [r for r in answered if r.wait_s is not None and r.wait_s <= service_level_s]
    waits = [r.wait_s for r in queued if r.wait_s is not None]
    return RunSummary(
        offered=offered,
        answered=len(answered),
        abandoned=len(by_outcome[Outcome.ABANDONED]),
        self_served=len(by_outcome[Outcome.SELF_SERVED]),
        callbacks=len(by_outcome[Outcome.CALLBACK]),
        failed=len(by_outcome[Outcome.FAILED]),
        closed=len(by_outcome[Outcome.CLOSED]),
        lost=offered - len(rows),
        records=len(rows),
        service_level=round(len(in_time) / len(reached_queue), 4) if reached_queue else None,
        asa_s=_mean([r.wait_s for r in answered if r.wait_s is not None]),
        aht_s=_mean([r.talk_s for r in answered if r.talk_s is not None]),
        max_wait_s=round(max(waits), 2) if waits else None,
    )

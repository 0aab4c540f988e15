"""The figures of a run, computed from the call records as stored in SQL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from hotline.records import AttemptResult, CallbackAttempt, CallRecord, Outcome


@dataclass(frozen=True)
class WaitPrediction:
    """The error of the announced waits (see `RunSummary`)."""

    calls: int
    mean_absolute_error_s: float | None
    mean_error_s: float | None


@dataclass(frozen=True)
class RunSummary:
    """What `hotline simulate --json` writes.

    service_level: the share of calls that reached a queue and were answered within the
    hotline's `service_level_s`, out of all calls that reached a queue (answered or
    abandoned). asa_s: mean wait of the answered calls; aht_s: mean talk time. closed: calls
    outside the opening hours (they heard the hours; never in a queue). wait_prediction: how
    far the first expected wait told to a caller (`predicted_wait_s`) was from the wait they
    had (answered_at - enqueued_at), over the answered calls that were told one: `calls`,
    `mean_absolute_error_s`, `mean_error_s` (predicted minus actual: positive means callers
    were told more than they waited). called_back: call-back requests whose caller was
    reached and talked to an operator; callback_failed: requests given up after the last
    attempt the caller did not answer (both from the `callback_attempts` rows).
    overflowed: calls an overflow rule, a full queue or the closing action took out of the
    queue with a message (outcome `overflowed`); overflows: the overflow rules applied, by
    action (`widen`, `bilingual`, `callback` offers, `message`).
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
    wait_prediction: WaitPrediction = WaitPrediction(0, None, None)
    called_back: int = 0
    callback_failed: int = 0
    overflowed: int = 0
    overflows: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def wait_prediction(records: Iterable[CallRecord]) -> WaitPrediction:
    """Predicted minus actual wait over the answered calls that were told a wait."""
    errors = [
        r.predicted_wait_s - (r.answered_at - r.enqueued_at).total_seconds()
        for r in records
        if r.outcome == Outcome.ANSWERED
        and r.predicted_wait_s is not None
        and r.answered_at is not None
        and r.enqueued_at is not None
    ]
    return WaitPrediction(
        calls=len(errors),
        mean_absolute_error_s=_mean([abs(e) for e in errors]),
        mean_error_s=_mean(errors),
    )


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def summarise(
    offered: int,
    records: Iterable[CallRecord],
    service_level_s: float,
    attempts: Iterable[CallbackAttempt] = (),
    overflows: Mapping[str, int] | None = None,
) -> RunSummary:
    rows = list(records)
    tried = list(attempts)
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
        wait_prediction=wait_prediction(rows),
        called_back=len({a.call_id for a in tried if a.result == AttemptResult.ANSWERED}),
        callback_failed=len({a.call_id for a in tried if a.entry_state == "callback_failed"}),
        overflowed=len(by_outcome[Outcome.OVERFLOWED]),
        overflows=dict(overflows or {}),
    )

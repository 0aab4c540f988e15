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
    service_level_s: float | None = None
    # Of the run, not of the records: the operators who logged in, the local start of the
    # simulated clock (ISO 8601), and what the run could not do as asked.
    operators: int | None = None
    start: str | None = None
    warnings: list[str] = field(default_factory=list)

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
        service_level_s=service_level_s,
    )


# What each figure of `RunSummary` means, with its unit: shown beside it by `hotline
# simulate` (the first thing a new user reads).
MEANINGS: dict[str, str] = {
    "offered": "calls placed by the simulated callers",
    "answered": "calls an operator talked to",
    "abandoned": "callers who hung up while waiting in a queue",
    "self_served": "calls the menu answered itself (a look-up that answered)",
    "callbacks": "callers who asked to be called back",
    "failed": "calls a controller error sent to the fallback group",
    "closed": "calls outside the opening hours (heard the hours, never queued)",
    "lost": "calls without a record (must be 0)",
    "records": "call records read back from SQL",
    "service_level": "share of queued calls answered within service_level_s (0-1)",
    "asa_s": "average wait of the answered calls, simulated seconds",
    "aht_s": "average talk time of the answered calls, simulated seconds",
    "max_wait_s": "longest wait in a queue, simulated seconds",
    "wait_prediction.calls": "answered calls that were told an expected wait",
    "wait_prediction.mean_absolute_error_s": "mean |told - waited|, seconds",
    "wait_prediction.mean_error_s": "mean told - waited, seconds (> 0: told too much)",
    "called_back": "call-back requests whose caller was reached",
    "callback_failed": "call-back requests given up after the last attempt",
    "overflowed": "calls an overflow rule took out of the queue with a message",
    "overflows": "overflow rules applied, by action",
    "service_level_s": "the hotline's service-level threshold, seconds",
    "operators": "operators logged in for the run",
    "start": "local time the simulated clock started at",
    "warnings": "what the run could not do as asked",
}

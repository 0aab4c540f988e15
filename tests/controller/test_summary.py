"""`summarise`: the run's figures from hand-made call records."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from hotline.controller.summary import summarise
from hotline.records import AttemptResult, CallbackAttempt, CallRecord, Outcome

T0 = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
_ids = iter(range(1, 1000))


def record(
    outcome: Outcome, *, queued: bool = True, wait_s: float = 0.0, talk_s: float = 0.0
) -> CallRecord:
    enqueued = T0 + timedelta(seconds=10) if queued else None
    answered = None
    if outcome == Outcome.ANSWERED and enqueued is not None:
        answered = enqueued + timedelta(seconds=wait_s)
    return CallRecord(
        call_id=f"c{next(_ids)}",
        hotline_id="400-100",
        outcome=outcome,
        arrived_at=T0,
        enqueued_at=enqueued,
        answered_at=answered,
        ended_at=T0 + timedelta(seconds=10 + wait_s + talk_s),
        wait_s=wait_s,
        talk_s=talk_s,
    )


def test_figures_of_a_mixed_run() -> None:
    records = [
        record(Outcome.ANSWERED, wait_s=10, talk_s=60),
        record(Outcome.ANSWERED, wait_s=20, talk_s=90),  # exactly the service level: in time
        record(Outcome.ANSWERED, wait_s=50, talk_s=120),
        record(Outcome.ABANDONED, wait_s=75),  # gave up in the queue: counts against
        record(Outcome.ABANDONED, queued=False),  # hung up in the menu: not in the queue
        record(Outcome.SELF_SERVED, queued=False),
        record(Outcome.FAILED, queued=False),
        record(Outcome.CALLBACK, wait_s=30),
        record(Outcome.CLOSED, queued=False),  # outside opening hours: heard the hours
    ]
    summary = summarise(offered=10, records=records, service_level_s=20)

    assert (summary.offered, summary.records, summary.lost) == (10, 9, 1)
    assert (summary.answered, summary.abandoned, summary.self_served) == (3, 2, 1)
    assert (summary.callbacks, summary.failed, summary.closed) == (1, 1, 1)
    # In time: 2 answered of the 4 calls that reached a queue and were answered or
    # abandoned there (the callback neither).
    assert summary.service_level == 0.5
    assert summary.asa_s == pytest.approx((10 + 20 + 50) / 3, abs=0.01)
    assert summary.aht_s == 90.0
    assert summary.max_wait_s == 75.0
    assert summary.as_dict()["service_level"] == 0.5
    assert set(summary.as_dict()) >= {"offered", "answered", "closed", "lost", "asa_s", "aht_s"}


def test_rounding_of_the_service_level() -> None:
    records = [
        record(Outcome.ANSWERED, wait_s=5, talk_s=30),
        record(Outcome.ANSWERED, wait_s=25, talk_s=30),
        record(Outcome.ABANDONED, wait_s=40),
    ]
    summary = summarise(offered=3, records=records, service_level_s=20)
    assert summary.service_level == 0.3333
    assert summary.lost == 0


def test_no_queued_call_leaves_the_queue_figures_empty() -> None:
    records = [record(Outcome.SELF_SERVED, queued=False), record(Outcome.FAILED, queued=False)]
    summary = summarise(offered=2, records=records, service_level_s=20)
    assert summary.service_level is None
    assert summary.asa_s is None
    assert summary.aht_s is None
    assert summary.max_wait_s is None
    assert (summary.self_served, summary.failed, summary.lost) == (1, 1, 0)


def test_no_records_at_all_are_all_lost() -> None:
    summary = summarise(offered=4, records=[], service_level_s=20)
    assert (summary.records, summary.lost, summary.answered) == (0, 4, 0)
    assert summary.service_level is None


def test_wait_prediction_errors_over_answered_calls_that_were_told_a_wait() -> None:
    records = [
        # Told 180 s, answered after 120 s: +60. Told 60 s, answered after 100 s: -40.
        replace(record(Outcome.ANSWERED, wait_s=120, talk_s=60), predicted_wait_s=180.0),
        replace(record(Outcome.ANSWERED, wait_s=100, talk_s=60), predicted_wait_s=60.0),
        record(Outcome.ANSWERED, wait_s=5, talk_s=60),  # answered at once: never told
        # Gave up: no actual wait to compare with.
        replace(record(Outcome.ABANDONED, wait_s=300), predicted_wait_s=90.0),
    ]
    summary = summarise(offered=4, records=records, service_level_s=20)

    assert summary.wait_prediction.calls == 2
    assert summary.wait_prediction.mean_absolute_error_s == 50.0
    assert summary.wait_prediction.mean_error_s == 10.0
    assert summary.as_dict()["wait_prediction"] == {
        "calls": 2,
        "mean_absolute_error_s": 50.0,
        "mean_error_s": 10.0,
    }


def test_no_prediction_leaves_the_errors_empty() -> None:
    summary = summarise(offered=1, records=[record(Outcome.ANSWERED, wait_s=5)], service_level_s=20)
    assert summary.as_dict()["wait_prediction"] == {
        "calls": 0,
        "mean_absolute_error_s": None,
        "mean_error_s": None,
    }


def attempt(call_id: str, number: int, result: AttemptResult, state: str) -> CallbackAttempt:
    return CallbackAttempt(
        call_id=call_id,
        hotline_id="1414",
        attempt=number,
        operator_id="op01",
        number="+77010000001",
        started_at=T0,
        ended_at=T0 + timedelta(seconds=30),
        result=result,
        entry_state=state,
    )


def test_call_backs_are_counted_per_request_from_their_attempts() -> None:
    attempts = [
        attempt("a", 1, AttemptResult.OPERATOR_NO_ANSWER, "waiting"),
        attempt("a", 2, AttemptResult.ANSWERED, "done"),
        attempt("b", 1, AttemptResult.CALLER_BUSY, "waiting"),
        attempt("b", 2, AttemptResult.CALLER_NO_ANSWER, "callback_failed"),
        attempt("c", 1, AttemptResult.CALLER_BUSY, "waiting"),  # still to be retried
    ]
    summary = summarise(3, [record(Outcome.CALLBACK, queued=False)] * 3, 20, attempts)

    assert (summary.callbacks, summary.called_back, summary.callback_failed) == (3, 1, 1)
    assert summary.as_dict()["called_back"] == 1
    assert summarise(0, [], 20).called_back == 0

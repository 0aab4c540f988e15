"""The call-back attempts table on SQLite and PostgreSQL: written once per attempt, spooled
while the database is down and replayed, never raising into the dispatcher."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.records import AttemptResult, CallbackAttempt, InvalidRecordError, RecordStore
from hotline.records.attempts import ATTEMPT_REJECTED_NAME, ATTEMPT_SPOOL_NAME

from .test_store import Outage, outage  # noqa: F401 - the fixture

T0 = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)


@pytest.fixture
def records(db_url: str, tmp_path: Path) -> Iterator[RecordStore]:
    store = RecordStore(db_url, tmp_path / "spool")
    store.migrate()
    yield store
    store.close()


def make_attempt(call_id: str = "c1", number: int = 1, **changes: object) -> CallbackAttempt:
    attempt = CallbackAttempt(
        call_id=call_id,
        hotline_id="1414",
        attempt=number,
        operator_id="op01",
        number="+77010000001",
        started_at=T0,
        ended_at=T0 + timedelta(seconds=75.5),
        result=AttemptResult.ANSWERED,
        talk_s=60.25,
        entry_state="done",
    )
    return replace(attempt, **changes)  # type: ignore[arg-type]


async def test_attempts_round_trip_and_a_repeat_is_stored_once(records: RecordStore) -> None:
    store = records
    busy = make_attempt(number=1, result=AttemptResult.CALLER_BUSY, talk_s=0.0)
    busy = replace(busy, entry_state="waiting")
    assert await store.write_attempt(busy) is True
    assert await store.write_attempt(make_attempt(number=2)) is True
    assert await store.write_attempt(make_attempt(number=2)) is True  # a retried write

    stored = store.fetch_attempts()
    assert stored == [busy, make_attempt(number=2)]
    assert stored[1].started_at.tzinfo is UTC
    assert stored[0].result is AttemptResult.CALLER_BUSY


def test_an_attempt_needs_aware_times_and_a_known_result() -> None:
    with pytest.raises(InvalidRecordError, match="timezone"):
        make_attempt(started_at=datetime(2026, 11, 20, 10, 0))
    with pytest.raises(ValueError, match="rang"):
        make_attempt(result="rang")


async def test_attempts_written_while_the_database_is_down_are_replayed(
    outage: Outage,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    store = RecordStore(outage.url, tmp_path / "spool")
    try:
        assert await store.write_attempt(make_attempt("down", 1)) is False
        assert store.pending_attempts() == 1
        assert (tmp_path / "spool" / ATTEMPT_SPOOL_NAME).exists()

        outage.restore()
        store.migrate()
        assert await store.write_attempt(make_attempt("up", 1)) is True

        assert [(a.call_id, a.attempt) for a in store.fetch_attempts()] == [
            ("down", 1),
            ("up", 1),
        ]
        assert store.pending_attempts() == 0
    finally:
        store.close()


async def test_a_write_that_neither_the_database_nor_the_spool_takes_does_not_raise(
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    store = RecordStore(f"sqlite:///{tmp_path / 'missing' / 'x.db'}", blocked)
    try:
        assert await store.write_attempt(make_attempt()) is False
    finally:
        store.close()


async def test_a_torn_attempt_spool_line_is_set_aside(records: RecordStore, tmp_path: Path) -> None:
    store = records
    spool = tmp_path / "spool" / ATTEMPT_SPOOL_NAME
    spool.parent.mkdir(parents=True, exist_ok=True)
    spool.write_text('{"call_id": "torn\n')

    assert await store.write_attempt(make_attempt()) is True

    assert [a.call_id for a in store.fetch_attempts()] == ["c1"]
    assert (spool.parent / ATTEMPT_REJECTED_NAME).read_text() == '{"call_id": "torn\n'

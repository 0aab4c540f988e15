"""`lookup_result` of a call record (issue 9, bug 3): model, store (SQLite and
PostgreSQL), migration 0007, spool, and the tracker filling it from the call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from hotline.controller.tracker import CallTracker
from hotline.records import CallRecord, Outcome, RecordStore
from hotline.records.record import LOOKUP_RESULT_MAX
from hotline.records.spool import Spool
from hotline.records.store import upgrade_to_head
from tests.controller.fakes import FakeClock

from .test_ivr_fields import alembic_to, insert_call_row
from .test_store import make_record


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[RecordStore]:
    store = RecordStore(db_url, tmp_path / "spool")
    store.migrate()
    yield store
    store.close()


def test_defaults_to_none_and_is_cut_to_its_column() -> None:
    assert make_record().lookup_result is None
    long = make_record(lookup_result="x" * 100)
    assert long.lookup_result == "x" * LOOKUP_RESULT_MAX


async def test_round_trips_through_the_store(store: RecordStore) -> None:
    failed = make_record("failed", outcome=Outcome.ABANDONED, lookup_result="error")
    assert await store.write(failed) is True
    assert await store.write(make_record("none")) is True
    fetched = {r.call_id: r for r in store.fetch_all()}
    assert fetched["failed"] == failed
    assert fetched["failed"].lookup_result == "error"
    assert fetched["none"].lookup_result is None


def test_the_json_form_carries_it_and_old_lines_still_load(tmp_path: Path) -> None:
    record = make_record(lookup_result="not_found")
    data = json.loads(json.dumps(record.to_json_dict()))
    assert data["lookup_result"] == "not_found"
    assert CallRecord.from_json_dict(data) == record
    old = make_record("old-1").to_json_dict()
    del old["lookup_result"]
    spool = Spool(tmp_path)
    spool.path.write_text(json.dumps(old) + "\n", encoding="utf-8")
    assert spool.read() == [make_record("old-1")]


def test_upgrading_a_0006_database_keeps_its_rows_and_downgrading_works(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    old_row = {
        "call_id": "before-0007",
        "hotline_id": "400-100",
        "outcome": "self_served",
        "arrived_at": datetime(2026, 3, 1, 4, 0, tzinfo=UTC),
        "ended_at": datetime(2026, 3, 1, 4, 5, tzinfo=UTC),
        "wait_s": 0.0,
        "talk_s": 0.0,
        "ivr_node": "bye",
    }
    try:
        alembic_to(engine, "0006")
        insert_call_row(engine, old_row)
        upgrade_to_head(engine)
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT call_id, lookup_result FROM call_records")).one()
        assert tuple(row) == ("before-0007", None)
        alembic_to(engine, "0006", down=True)
        with engine.connect() as conn:
            columns_after = {c["name"] for c in sa.inspect(conn).get_columns("call_records")}
            count = conn.execute(sa.text("SELECT count(*) FROM call_records")).scalar_one()
        assert "lookup_result" not in columns_after
        assert count == 1
    finally:
        engine.dispose()


async def test_the_tracker_writes_the_calls_lookup_result() -> None:
    records: list[CallRecord] = []

    async def sink(record: CallRecord) -> None:
        records.append(record)

    tracker = CallTracker(FakeClock(datetime(2026, 3, 2, 5, 0, tzinfo=UTC).timestamp()), sink)
    call = tracker.start("400-100", "1700.1", "PJSIP/trunk-00000001", "+77010000001")
    call.lookup_result = "error"
    await tracker.finish(call, Outcome.ABANDONED)
    assert [(r.outcome, r.lookup_result) for r in records] == [(Outcome.ABANDONED, "error")]

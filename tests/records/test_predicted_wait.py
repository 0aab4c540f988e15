"""`predicted_wait_s` of a call record: model, store (SQLite and PostgreSQL), migration 0004,
spool, and how the tracker fills it from the call's first announced prediction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from hotline.controller.tracker import CallTracker
from hotline.records import CallRecord, Outcome, RecordStore
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


def test_defaults_to_none() -> None:
    assert make_record().predicted_wait_s is None


async def test_round_trips_through_the_store(store: RecordStore, db_url: str) -> None:
    told = make_record("told", predicted_wait_s=182.5)
    assert await store.write(told) is True
    assert await store.write(make_record("not-told")) is True

    fetched = {r.call_id: r for r in store.fetch_all()}
    assert fetched["told"] == told
    assert fetched["told"].predicted_wait_s == 182.5
    assert fetched["not-told"].predicted_wait_s is None
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            raw = conn.execute(
                sa.text("SELECT predicted_wait_s FROM call_records WHERE call_id = 'told'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert raw == 182.5


def test_the_json_form_carries_it_and_old_lines_still_load(tmp_path: Path) -> None:
    record = make_record(predicted_wait_s=90.0)
    data = json.loads(json.dumps(record.to_json_dict()))
    assert data["predicted_wait_s"] == 90.0
    assert CallRecord.from_json_dict(data) == record

    old = make_record("old-1").to_json_dict()
    del old["predicted_wait_s"]
    spool = Spool(tmp_path)
    spool.path.write_text(json.dumps(old) + "\n", encoding="utf-8")
    assert spool.read() == [make_record("old-1")]


def test_upgrading_a_0003_database_keeps_its_rows_and_downgrading_works(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    old_row = {
        "call_id": "before-0004",
        "hotline_id": "400-100",
        "outcome": "answered",
        "arrived_at": datetime(2026, 3, 1, 4, 0, tzinfo=UTC),
        "ended_at": datetime(2026, 3, 1, 4, 5, tzinfo=UTC),
        "wait_s": 61.0,
        "talk_s": 120.0,
        "ivr_node": "main",
    }
    try:
        alembic_to(engine, "0003")
        insert_call_row(engine, old_row)

        upgrade_to_head(engine)

        with engine.connect() as conn:
            row = conn.execute(
                sa.text("SELECT call_id, ivr_node, predicted_wait_s FROM call_records")
            ).one()
        assert tuple(row) == ("before-0004", "main", None)

        alembic_to(engine, "0003", down=True)

        with engine.connect() as conn:
            columns_after = {c["name"] for c in sa.inspect(conn).get_columns("call_records")}
            count = conn.execute(sa.text("SELECT count(*) FROM call_records")).scalar_one()
        assert "predicted_wait_s" not in columns_after
        assert "ivr_node" in columns_after
        assert count == 1
    finally:
        engine.dispose()


async def test_the_tracker_records_the_prediction_as_a_wait_from_the_enqueue() -> None:
    records: list[CallRecord] = []

    async def sink(record: CallRecord) -> None:
        records.append(record)

    start = datetime(2026, 3, 2, 5, 0, tzinfo=UTC).timestamp()
    clock = FakeClock(start)
    tracker = CallTracker(clock, sink)
    at_entry = tracker.start("400-100", "1700.1", "PJSIP/trunk-00000001", "+77010000001")
    later = tracker.start("400-100", "1700.2", "PJSIP/trunk-00000002", "+77010000002")
    never = tracker.start("400-100", "1700.3", "PJSIP/trunk-00000003", "+77010000003")
    for call in (at_entry, later, never):
        call.queue_id = "social-payments-kk"
        call.enqueued_at = start + 20
    # Told "from 2 to 4 minutes" right after the enqueue...
    at_entry.predicted_wait_s, at_entry.predicted_at = 180.0, start + 20.5
    # ... or only at a hold visit 30 s later (nobody was on shift at first): 30 + 90.
    later.predicted_wait_s, later.predicted_at = 90.0, start + 50
    clock.set(start + 200)
    for call in (at_entry, later, never):
        call.operator_id, call.answered_at = "op01", start + 200
    clock.set(start + 260)

    for call in (at_entry, later, never):
        await tracker.finish(call, Outcome.ANSWERED)

    assert [r.predicted_wait_s for r in records] == [180.5, 120.0, None]
    assert [r.wait_s for r in records] == [180.0, 180.0, 180.0]

"""The IVR fields of a call record (`ivr_node`, `ivr_path`): model, spool, store, tracker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from hotline.controller.tracker import CallTracker
from hotline.records import CallRecord, Outcome, RecordStore
from hotline.records.record import IVR_NODE_MAX, IVR_PATH_MAX, truncate_ivr_path
from hotline.records.spool import Spool
from hotline.records.store import MIGRATIONS_DIR, upgrade_to_head
from tests.controller.fakes import FakeClock

from .test_store import make_record

PATH = "language:ru,main:1,payments:1"


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[RecordStore]:
    store = RecordStore(db_url, tmp_path / "spool")
    store.migrate()
    yield store
    store.close()


def test_the_fields_default_to_none() -> None:
    record = make_record()
    assert (record.ivr_node, record.ivr_path) == (None, None)


async def test_the_fields_round_trip_through_the_store(store: RecordStore, db_url: str) -> None:
    abandoned = make_record(
        "in-menu",
        outcome=Outcome.ABANDONED,
        operator_id=None,
        queue_id=None,
        enqueued_at=None,
        answered_at=None,
        wait_s=0.0,
        talk_s=0.0,
        ivr_node="payments",
        ivr_path=PATH,
    )
    long_path = ",".join(f"step{n}:1" for n in range(200))
    looping = make_record("looping", ivr_node="n" * 80, ivr_path=long_path)

    assert await store.write(abandoned) is True
    assert await store.write(looping) is True
    assert await store.write(make_record("plain")) is True

    fetched = {r.call_id: r for r in store.fetch_all()}
    assert fetched["in-menu"] == abandoned
    assert (fetched["in-menu"].ivr_node, fetched["in-menu"].ivr_path) == ("payments", PATH)
    assert fetched["looping"] == looping
    stored_path = fetched["looping"].ivr_path
    assert stored_path is not None
    assert len(stored_path) <= IVR_PATH_MAX
    assert fetched["looping"].ivr_node == "n" * IVR_NODE_MAX
    assert (fetched["plain"].ivr_node, fetched["plain"].ivr_path) == (None, None)
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            raw = conn.execute(
                sa.text("SELECT ivr_node, ivr_path FROM call_records WHERE call_id = 'in-menu'")
            ).one()
    finally:
        engine.dispose()
    assert tuple(raw) == ("payments", PATH)


def test_a_long_path_keeps_its_start_and_is_marked() -> None:
    steps = [f"node{n}:{n % 10}" for n in range(100)]
    long_path = ",".join(steps)
    assert len(long_path) > IVR_PATH_MAX

    record = make_record(ivr_path=long_path)

    assert record.ivr_path is not None
    assert len(record.ivr_path) <= IVR_PATH_MAX
    assert record.ivr_path.endswith(",\u2026")
    kept = record.ivr_path.removesuffix(",\u2026").split(",")
    assert kept == steps[: len(kept)]  # whole steps, from the start
    assert len(kept) > 10
    assert make_record(ivr_path=record.ivr_path).ivr_path == record.ivr_path  # idempotent
    exactly = "x" * IVR_PATH_MAX
    assert make_record(ivr_path=exactly).ivr_path == exactly
    assert truncate_ivr_path("y" * 600) == "y" * (IVR_PATH_MAX - 1) + "\u2026"  # one huge step


def test_the_json_form_carries_the_fields() -> None:
    record = make_record(ivr_node="main", ivr_path="language:kk,main:9")

    data = json.loads(json.dumps(record.to_json_dict()))

    assert data["ivr_node"] == "main"
    assert data["ivr_path"] == "language:kk,main:9"
    assert CallRecord.from_json_dict(data) == record


def test_an_old_spool_line_without_the_fields_still_loads(tmp_path: Path) -> None:
    old = make_record("old-1").to_json_dict()
    del old["ivr_node"], old["ivr_path"]
    spool = Spool(tmp_path)
    spool.path.write_text(json.dumps(old, sort_keys=True) + "\n", encoding="utf-8")

    records = spool.read()

    assert records == [make_record("old-1")]
    assert (records[0].ivr_node, records[0].ivr_path) == (None, None)
    assert not spool.rejected_path.exists()


async def test_an_old_spool_line_is_replayed_into_the_database(store: RecordStore) -> None:
    old = make_record("old-1").to_json_dict()
    del old["ivr_node"], old["ivr_path"]
    store.spool_path.parent.mkdir(parents=True, exist_ok=True)
    store.spool_path.write_text(json.dumps(old) + "\n", encoding="utf-8")

    assert await store.flush_spool() == 1

    assert store.fetch_all() == [make_record("old-1")]


async def test_the_tracker_records_the_node_and_the_path() -> None:
    records: list[CallRecord] = []

    async def sink(record: CallRecord) -> None:
        records.append(record)

    clock = FakeClock(datetime(2026, 3, 2, 5, 0, tzinfo=UTC).timestamp())
    tracker = CallTracker(clock, sink)
    in_menu = tracker.start("109", "1700.1", "PJSIP/trunk-00000001", "+77010000001")
    in_menu.path.extend(["language:ru", "main:1", "payments:1"])
    in_menu.ivr_node = "payments"
    silent = tracker.start("109", "1700.2", "PJSIP/trunk-00000002", "+77010000002")

    await tracker.finish(in_menu, Outcome.ABANDONED)
    await tracker.finish(silent, Outcome.ABANDONED)

    assert (records[0].ivr_node, records[0].ivr_path) == ("payments", PATH)
    assert (records[1].ivr_node, records[1].ivr_path) == (None, "")


def insert_call_row(engine: sa.Engine, row: dict[str, object]) -> None:
    """One call_records row, as raw SQL: a row written before a migration, by its columns."""
    columns = ", ".join(row)
    params = ", ".join(f":{name}" for name in row)
    with engine.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO call_records ({columns}) VALUES ({params})"), row)


def alembic_to(engine: sa.Engine, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        if down:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)


def test_upgrading_a_0002_database_keeps_its_rows_and_downgrading_works(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    old_row = {
        "call_id": "before-0003",
        "hotline_id": "109",
        "outcome": "answered",
        "arrived_at": datetime(2026, 3, 1, 4, 0, tzinfo=UTC),
        "ended_at": datetime(2026, 3, 1, 4, 5, tzinfo=UTC),
        "wait_s": 1.0,
        "talk_s": 2.0,
    }
    try:
        alembic_to(engine, "0002")
        insert_call_row(engine, old_row)

        upgrade_to_head(engine)

        with engine.connect() as conn:
            row = conn.execute(
                sa.text("SELECT call_id, ivr_node, ivr_path FROM call_records")
            ).one()
            tables = set(sa.inspect(conn).get_table_names())
        assert tuple(row) == ("before-0003", None, None)
        assert "request_statuses" in tables

        alembic_to(engine, "0002", down=True)

        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            columns_after = {c["name"] for c in inspector.get_columns("call_records")}
            tables_after = set(inspector.get_table_names())
            count = conn.execute(sa.text("SELECT count(*) FROM call_records")).scalar_one()
        assert "ivr_node" not in columns_after
        assert "request_statuses" not in tables_after
        assert count == 1
    finally:
        engine.dispose()

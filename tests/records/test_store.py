"""The call record store on SQLite and on PostgreSQL (both always run; see tests/conftest.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from hotline.records import CallRecord, InvalidRecordError, Outcome, RecordsError, RecordStore
from hotline.records.models import Base
from tests.conftest import pg_base_url

ALMATY = timezone(timedelta(hours=5))


def make_record(call_id: str = "call-1", **changes: object) -> CallRecord:
    arrived = datetime(2026, 3, 1, 9, 0, 0, 250000, tzinfo=ALMATY)
    record = CallRecord(
        call_id=call_id,
        hotline_id="400-100",
        uniqueid="1700000000.42",
        caller="+77011234567",
        language="kk",
        topic="social_payments",
        queue_id="social-kk",
        operator_id="op101",
        outcome=Outcome.ANSWERED,
        arrived_at=arrived,
        enqueued_at=arrived + timedelta(seconds=20),
        answered_at=arrived + timedelta(seconds=65.5),
        ended_at=arrived + timedelta(seconds=185.5),
        wait_s=45.5,
        talk_s=120.0,
    )
    return replace(record, **changes)  # type: ignore[arg-type]


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[RecordStore]:
    store = RecordStore(db_url, tmp_path / "spool")
    store.migrate()
    yield store
    store.close()


def test_migration_builds_the_table_the_models_describe(store: RecordStore, db_url: str) -> None:
    store.migrate()  # a second run is a no-op
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            indexes = {ix["name"] for ix in sa.inspect(conn).get_indexes("call_records")}
    finally:
        engine.dispose()
    assert diff == []
    assert "ix_call_records_hotline_ended" in indexes


async def test_write_and_fetch_round_trip_keeps_aware_utc_times(store: RecordStore) -> None:
    record = make_record()
    self_served = make_record(
        "call-2",
        outcome=Outcome.SELF_SERVED,
        operator_id=None,
        queue_id=None,
        enqueued_at=None,
        answered_at=None,
        wait_s=0.0,
        talk_s=0.0,
    )

    assert await store.write(record) is True
    assert await store.write(self_served) is True

    fetched = store.fetch_all()
    assert fetched == [record, self_served]
    assert fetched[0].arrived_at.tzinfo is UTC
    assert fetched[0].arrived_at == datetime(2026, 3, 1, 4, 0, 0, 250000, tzinfo=UTC)
    assert fetched[0].outcome is Outcome.ANSWERED
    assert fetched[1].answered_at is None
    assert store.count() == 2


async def test_a_duplicate_call_id_is_written_once(store: RecordStore) -> None:
    assert await store.write(make_record()) is True
    assert await store.write(make_record(talk_s=999.0)) is True

    assert store.count() == 1
    assert store.fetch_all()[0].talk_s == 120.0


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(InvalidRecordError, match="timezone"):
        make_record(ended_at=datetime(2026, 3, 1, 9, 0))


@dataclass
class Outage:
    """A database that is down until `restore()` is called."""

    url: str
    restore: Callable[[], None]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def outage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outage]:
    if request.param == "sqlite":
        # SQLite cannot create a file in a missing directory. (A read-only directory would
        # not do: the tests may run as root.)
        directory = tmp_path / "not-yet"
        yield Outage(f"sqlite:///{directory / 'records.db'}", lambda: directory.mkdir())
        return
    request.getfixturevalue("pg_url")  # fails the test clearly if PostgreSQL is unreachable
    base = make_url(pg_base_url())
    name = f"hotline_outage_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)

    def create() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    try:
        yield Outage(base.set(database=name).render_as_string(hide_password=False), create)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


async def test_records_written_while_the_database_is_down_are_replayed(
    outage: Outage, tmp_path: Path
) -> None:
    store = RecordStore(outage.url, tmp_path / "spool")
    try:
        assert await store.write(make_record("down-1")) is False
        assert await store.write(make_record("down-2")) is False
        assert store.pending_count() == 2
        lines = store.spool_path.read_text("utf-8").splitlines()
        assert len(lines) == 2
        assert '"call_id": "down-1"' in lines[0]
        with pytest.raises(RecordsError):
            await store.flush_spool()

        outage.restore()
        store.migrate()
        assert await store.write(make_record("up-1")) is True

        assert [r.call_id for r in store.fetch_all()] == ["down-1", "down-2", "up-1"]
        assert store.fetch_all()[0] == make_record("down-1")
        assert store.pending_count() == 0
        assert not store.spool_path.exists()
    finally:
        store.close()


async def test_a_restarted_store_flushes_the_spool_left_behind(
    outage: Outage, tmp_path: Path
) -> None:
    spool_dir = tmp_path / "spool"
    down = RecordStore(outage.url, spool_dir)
    try:
        assert await down.write(make_record("down-1")) is False
    finally:
        down.close()
    outage.restore()
    up = RecordStore(outage.url, spool_dir)
    try:
        up.migrate()

        assert await up.flush_spool() == 1
        assert await up.flush_spool() == 0
        assert up.fetch_all() == [make_record("down-1")]
        assert await up.write(make_record("down-1")) is True  # a retried write: still one row
        assert up.count() == 1
    finally:
        up.close()


async def test_flush_spool_counts_duplicates_as_written(store: RecordStore, tmp_path: Path) -> None:
    await store.write(make_record("c1"))
    spool = store.spool_path
    spool.parent.mkdir(parents=True, exist_ok=True)
    lines = [make_record(cid).to_json_dict() for cid in ("c1", "c2")]
    spool.write_text("".join(f"{json.dumps(line)}\n" for line in lines))

    assert await store.flush_spool() == 2

    assert [r.call_id for r in store.fetch_all()] == ["c1", "c2"]
    assert await store.flush_spool() == 0


async def test_a_torn_spool_line_is_set_aside_not_lost(store: RecordStore) -> None:
    spool = store.spool_path
    spool.parent.mkdir(parents=True, exist_ok=True)
    good = json.dumps(make_record("c1").to_json_dict())
    spool.write_text(f'{good}\n{{"call_id": "c2", "hotl')  # a crash in mid-append

    assert await store.write(make_record("c3")) is True

    assert [r.call_id for r in store.fetch_all()] == ["c1", "c3"]
    rejected = spool.with_name("records.spool.rejected.jsonl").read_text("utf-8")
    assert rejected == '{"call_id": "c2", "hotl\n'


def test_an_unknown_url_scheme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RecordsError, match="sqlite"):
        RecordStore("mysql://localhost/x", tmp_path)

"""The one builder of the database engine (`hotline.records.db.make_engine`), used by the
record store and by the lists and requests importers, on SQLite and on PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from hotline.lists.db import make_engine as lists_engine
from hotline.lists.errors import ListsError
from hotline.records import RecordsError, RecordStore
from hotline.records.db import SQLITE_BUSY_TIMEOUT_S, make_engine
from hotline.requests.db import make_engine as requests_engine
from tests.records.test_store import make_record


def _store_engine(url: str, tmp_path: Path) -> Engine:
    return RecordStore(url, tmp_path / "spool").engine


BUILDERS: dict[str, Callable[[str, Path], Engine]] = {
    "records": _store_engine,
    "lists": lambda url, _: lists_engine(url),
    "requests": lambda url, _: requests_engine(url),
}


def _options(engine: Engine) -> tuple[object, ...]:
    """What an engine was built with, as far as the database's users can tell."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            session = (
                conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one(),
                conn.exec_driver_sql("PRAGMA journal_mode").scalar_one(),
                conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one(),
            )
        else:
            session = (conn.exec_driver_sql("SHOW search_path").scalar_one(),)
    pre_ping = getattr(engine.pool, "_pre_ping", None)
    return (engine.dialect.name, engine.hide_parameters, pre_ping, *session)


def test_the_store_and_the_importers_build_the_same_engine(db_url: str, tmp_path: Path) -> None:
    engines = {name: build(db_url, tmp_path) for name, build in BUILDERS.items()}
    try:
        options = {name: _options(engine) for name, engine in engines.items()}
    finally:
        for engine in engines.values():
            engine.dispose()
    assert len(set(options.values())) == 1, options
    dialect, hide_parameters, pre_ping, *session = options["records"]
    assert hide_parameters is True
    if dialect == "sqlite":
        # The busy timeout explicit; journal and foreign keys SQLite's defaults, as before.
        assert session == [int(SQLITE_BUSY_TIMEOUT_S * 1000), "delete", 0]
        assert pre_ping is False
    else:
        assert pre_ping is True


@pytest.mark.postgres
def test_a_postgresql_connection_the_server_dropped_is_replaced_before_use(
    pg_url: str, tmp_path: Path
) -> None:
    for name, build in BUILDERS.items():
        engine = build(pg_url, tmp_path / name)
        try:
            with engine.connect() as conn:
                pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            # The pooled connection is killed by the server, as a restart or failover would.
            with sa.create_engine(pg_url, poolclass=sa.pool.NullPool).connect() as admin:
                admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with engine.connect() as conn:
                assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != pid
        finally:
            engine.dispose()


async def test_a_spooled_record_leaves_no_caller_number_in_the_log(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Never migrated: the insert fails, the record is spooled and the failure logged.
    store = RecordStore(db_url, tmp_path / "spool")
    caplog.set_level(logging.WARNING, logger="hotline.records.store")
    try:
        record = make_record()
        assert await store.write(record) is False
    finally:
        store.close()
    assert "spooling call call-1" in caplog.text
    assert record.caller is not None
    assert record.caller not in caplog.text
    assert record.caller[-7:] not in caplog.text


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("mysql://hotline:s3cret@db/hotline", "must be sqlite"),
        ("postgresql+psycopg://hotline:s3cret@db:fivefourthreetwo/hotline", "bad database URL"),
        ("postgresql+nodriver://hotline:s3cret@db/hotline", "bad database URL"),
    ],
)
def test_a_bad_url_is_the_callers_error_without_the_password(url: str, complaint: str) -> None:
    for error in (RecordsError, ListsError):
        with pytest.raises(error, match=complaint) as raised:
            make_engine(url, error)
        assert "s3cret" not in str(raised.value)

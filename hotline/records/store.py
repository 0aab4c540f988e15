"""Call records in SQL (SQLite or PostgreSQL), never lost when the database is down.

A write goes to the database through a synchronous engine in a worker thread
(`asyncio.to_thread`); writes are serialised by a lock. If the database fails, the record is
appended to the spool file instead, and the next write that succeeds (or `flush_spool()`)
inserts the spooled records first, in the same transaction. Inserts ignore a call_id that is
already stored, so replaying a record twice is harmless.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.dml import Insert

from hotline.records.attempts import (
    AttemptSpool,
    CallbackAttempt,
    CallbackAttemptRow,
    attempt_from_row,
    attempt_to_row,
)
from hotline.records.db import MIGRATIONS_DIR, make_engine, upgrade_to_head
from hotline.records.dispositions import CallDispositionRow
from hotline.records.errors import RecordsError, SpoolError
from hotline.records.models import Base, CallRecordRow
from hotline.records.record import CallRecord
from hotline.records.spool import Spool

if TYPE_CHECKING:
    from hotline.queue.acd import Disposition

# Re-exported: the schema's history is the records' (tests and tools import them from here).
__all__ = ["MIGRATIONS_DIR", "RecordStore", "upgrade_to_head"]

log = logging.getLogger(__name__)
_FIELDS = tuple(f.name for f in dataclasses.fields(CallRecord))


class RecordStore:
    """The call records of every hotline in one database, with a spool in `spool_dir`."""

    def __init__(self, url: str, spool_dir: Path) -> None:
        self._engine = make_engine(url, RecordsError)
        self._spool = Spool(spool_dir)
        self._attempt_spool = AttemptSpool(spool_dir)
        # A threading lock, not an asyncio one: writes run in worker threads, and the store
        # may be used from more than one event loop (tests, CLI).
        self._lock = threading.Lock()

    @property
    def spool_path(self) -> Path:
        return self._spool.path

    @property
    def engine(self) -> Engine:
        """The store's engine, shared with the self-service look-ups (same database)."""
        return self._engine

    def migrate(self) -> None:
        """Bring the schema to the newest revision (Alembic, no ini file needed)."""
        try:
            upgrade_to_head(self._engine)
        except SQLAlchemyError as exc:
            raise RecordsError(f"cannot migrate the call records database: {exc}") from exc

    async def write(self, record: CallRecord) -> bool:
        """Store a record; True if it reached the database, False if it was spooled.

        Raises `SpoolError` only if neither the database nor the spool took it.
        """
        return await asyncio.to_thread(self._write, record)

    async def write_attempt(self, attempt: CallbackAttempt) -> bool:
        """Store a call-back attempt as `write` stores a record: True if it reached the
        database, False if it was spooled (its spool is replayed by the next attempt that
        gets through). Never raises: a lost attempt row is logged, and the call-back goes on.
        """
        try:
            return await asyncio.to_thread(self._write_attempt, attempt)
        except (SpoolError, SQLAlchemyError, OSError) as exc:
            log.error("call-back attempt %s/%d lost: %s", attempt.call_id, attempt.attempt, exc)
            return False

    def fetch_attempts(self) -> list[CallbackAttempt]:
        """Every stored call-back attempt, in insertion order."""
        try:
            with self._engine.connect() as conn:
                query = select(CallbackAttemptRow).order_by(CallbackAttemptRow.id)
                rows = conn.execute(query).all()
        except SQLAlchemyError as exc:
            raise RecordsError(f"cannot read call-back attempts: {exc}") from exc
        return [attempt_from_row(row) for row in rows]

    async def write_dispositions(
        self, hotline_id: str, dispositions: Sequence[Disposition]
    ) -> bool:
        """Store wrap-up dispositions (a repeat of one already stored is ignored); False if
        the database refused them: the caller keeps them (in Redis) and tries again."""
        return await asyncio.to_thread(self._write_dispositions, hotline_id, dispositions)

    def _write_dispositions(self, hotline_id: str, dispositions: Sequence[Disposition]) -> bool:
        if not dispositions:
            return True
        table = Base.metadata.tables[CallDispositionRow.__tablename__]
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(table).on_conflict_do_nothing(
            index_elements=["hotline_id", "call_id"]
        )
        rows = [
            {
                "hotline_id": hotline_id,
                "call_id": d.call_id,
                "operator_id": d.operator_id,
                "disposition": d.disposition,
                "missing": d.missing,
                "at": None if d.at is None else datetime.fromtimestamp(d.at, UTC),
            }
            for d in dispositions
        ]
        try:
            with self._engine.begin() as conn:
                conn.execute(insert, rows)
        except SQLAlchemyError as exc:
            log.warning("database unavailable, dispositions kept in Redis: %s", exc)
            return False
        return True

    def fetch_dispositions(self) -> list[dict[str, Any]]:
        """Every stored disposition row, as a dict, in insertion order."""
        try:
            with self._engine.connect() as conn:
                table = Base.metadata.tables[CallDispositionRow.__tablename__]
                rows = conn.execute(select(table).order_by(table.c.id)).mappings().all()
        except SQLAlchemyError as exc:
            raise RecordsError(f"cannot read dispositions: {exc}") from exc
        return [dict(row) for row in rows]

    def pending_attempts(self) -> int:
        """How many call-back attempts wait in their spool."""
        with self._lock:
            return len(self._attempt_spool.read())

    async def flush_spool(self) -> int:
        """Replay the spool; how many records it held (all now stored).

        Raises `RecordsError` if the database is still unavailable (the spool is kept).
        """
        return await asyncio.to_thread(self._flush)

    def pending_count(self) -> int:
        """How many records wait in the spool."""
        with self._lock:
            return len(self._spool.read())

    def fetch_all(self) -> list[CallRecord]:
        """Every stored record, in insertion order."""
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(select(CallRecordRow).order_by(CallRecordRow.id)).all()
        except SQLAlchemyError as exc:
            raise RecordsError(f"cannot read call records: {exc}") from exc
        return [_to_record(row) for row in rows]

    def count(self) -> int:
        """How many records are stored (the spool not included)."""
        try:
            with self._engine.connect() as conn:
                return int(conn.execute(select(func.count(CallRecordRow.id))).scalar_one())
        except SQLAlchemyError as exc:
            raise RecordsError(f"cannot count call records: {exc}") from exc

    def close(self) -> None:
        self._engine.dispose()

    def _write(self, record: CallRecord) -> bool:
        with self._lock:
            pending = self._spool.read()
            try:
                self._insert([*pending, record])
            except SQLAlchemyError as exc:
                log.warning("database unavailable, spooling call %s: %s", record.call_id, exc)
                self._spool.append(record)
                return False
            if pending:
                log.info("replayed %d spooled call record(s)", len(pending))
                self._spool.clear()
            return True

    def _write_attempt(self, attempt: CallbackAttempt) -> bool:
        with self._lock:
            pending = self._attempt_spool.read()
            table = Base.metadata.tables[CallbackAttemptRow.__tablename__]
            keys = ["hotline_id", "call_id", "attempt"]
            dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
            insert = dialect.insert(table).on_conflict_do_nothing(index_elements=keys)
            try:
                with self._engine.begin() as conn:
                    conn.execute(insert, [attempt_to_row(a) for a in [*pending, attempt]])
            except SQLAlchemyError as exc:
                log.warning("database unavailable, spooling call-back %s: %s", attempt.call_id, exc)
                self._attempt_spool.append(attempt)
                return False
            if pending:
                self._attempt_spool.clear()
            return True

    def _flush(self) -> int:
        with self._lock:
            pending = self._spool.read()
            if not pending:
                return 0
            try:
                self._insert(pending)
            except SQLAlchemyError as exc:
                raise RecordsError(f"database still unavailable: {exc}") from exc
            self._spool.clear()
            return len(pending)

    def _insert(self, records: Sequence[CallRecord]) -> None:
        rows = [_to_row(r) for r in records]
        with self._engine.begin() as conn:
            conn.execute(self._insert_ignoring_duplicates(), rows)

    def _insert_ignoring_duplicates(self) -> Insert:
        table = Base.metadata.tables[CallRecordRow.__tablename__]
        if self._engine.dialect.name == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing(index_elements=["call_id"])
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=["call_id"])


def _to_row(record: CallRecord) -> dict[str, Any]:
    row = {name: getattr(record, name) for name in _FIELDS}
    row["outcome"] = str(record.outcome)
    return row


def _to_record(row: Any) -> CallRecord:
    return CallRecord(**{name: getattr(row, name) for name in _FIELDS})

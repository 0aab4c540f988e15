"""The engine and the schema of the request statuses (the call records' database)."""

from __future__ import annotations

from sqlalchemy import Engine

from hotline.records import db
from hotline.records.db import describe_db_error
from hotline.requests.errors import RequestsDatabaseError, RequestsError

__all__ = ["describe_db_error", "make_engine", "migrate"]


def make_engine(url: str) -> Engine:
    """An engine for `sqlite:///...` or `postgresql+psycopg://...` (`RequestsError` if not)."""
    return db.make_engine(url, RequestsError)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (`RequestsDatabaseError` if it fails)."""
    db.migrate(engine, RequestsDatabaseError)

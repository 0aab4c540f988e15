"""The engine and the schema of the recipients lists (the call records' database)."""

from __future__ import annotations

from sqlalchemy import Engine

from hotline.lists.errors import ListsError
from hotline.records import db
from hotline.records.db import describe_db_error

__all__ = ["describe_db_error", "make_engine", "migrate"]


def make_engine(url: str) -> Engine:
    """An engine for `sqlite:///...` or `postgresql+psycopg://...` (`ListsError` if not)."""
    return db.make_engine(url, ListsError)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (`ListsError` if it fails)."""
    db.migrate(engine, ListsError)

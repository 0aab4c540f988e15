"""The one database (call records, call-back attempts, dispositions, recipients lists,
request statuses): its engine and its schema upgrades, shared by the record store, the
importers and the look-ups; each caller names its own error type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: How long a PostgreSQL connection attempt may take before the caller gives up (a call
#: record is then spooled, a look-up answers "cannot check now").
PG_CONNECT_TIMEOUT_S = 5
#: How long a SQLite statement waits for another connection's lock (a `hotline lists
#: import` next to `hotline serve`) before it fails: pysqlite's own default, made explicit.
SQLITE_BUSY_TIMEOUT_S = 5.0


def make_engine(url: str, error: type[Exception]) -> Engine:
    """The engine for `sqlite:///...` or `postgresql+psycopg://...`; `error` for a bad URL
    (its message never quotes the URL, which may hold a password).

    Both: `hide_parameters`, so that a failed statement's error (logged when a record is
    spooled) and SQL logging show no bound values (a caller's number, an IIN hash).
    PostgreSQL: `pool_pre_ping`, so that a connection the server dropped (a restart, a
    failover) is replaced before use instead of failing one write; a connect timeout.
    SQLite: the busy timeout; the journal mode and foreign keys stay SQLite's defaults
    (rollback journal, not enforced), a pre-ping would only cost a query (a file does not
    drop a connection).
    """
    options: dict[str, Any]
    if url.startswith("postgresql"):
        options = {
            "pool_pre_ping": True,
            "connect_args": {"connect_timeout": PG_CONNECT_TIMEOUT_S},
        }
    elif url.startswith("sqlite"):
        options = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
    else:
        raise error("the database URL must be sqlite:///... or postgresql+psycopg://...")
    try:
        return create_engine(url, hide_parameters=True, **options)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        # ValueError: a port that is not a number (its text quotes only the port).
        raise error(f"bad database URL: {exc}") from None


def upgrade_to_head(engine: Engine) -> None:
    """Run every Alembic migration up to head on `engine` (no ini file needed).

    The one schema history of the database: call records and recipients lists.
    Raises SQLAlchemyError; callers wrap it in their own error.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def migrate(engine: Engine, error: type[Exception]) -> None:
    """Bring the schema to the newest revision (the call records' Alembic history)."""
    try:
        upgrade_to_head(engine)
    except SQLAlchemyError as exc:
        raise error(f"cannot migrate the database: {describe_db_error(exc)}") from None


def describe_db_error(exc: SQLAlchemyError) -> str:
    """The driver's own message, without SQLAlchemy's echo of the statement and its values."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"{type(exc.orig).__name__}: {str(exc.orig).strip()}"
    return type(exc).__name__

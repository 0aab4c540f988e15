"""Engines and schema upgrades of the one database (call records, recipients lists, request
statuses), shared by the importers and look-ups; each caller names its own error type."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from hotline.records.store import PG_CONNECT_TIMEOUT_S, upgrade_to_head


def make_engine(url: str, error: type[Exception]) -> Engine:
    """An engine for `sqlite:///...` or `postgresql+psycopg://...`; `error` for a bad URL.

    `hide_parameters`: a failed statement's error (and SQL logging) shows no bound values
    (an IIN hash, a request number).
    """
    try:
        if url.startswith("postgresql"):
            return create_engine(
                url,
                hide_parameters=True,
                pool_pre_ping=True,
                connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S},
            )
        if url.startswith("sqlite"):
            return create_engine(url, hide_parameters=True)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise error(f"bad database URL: {exc}") from None
    raise error("the database URL must be sqlite:///... or postgresql+psycopg://...")


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

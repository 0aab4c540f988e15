"""Fixtures shared by every test package: a private redis-server, SQL databases, and the
local time the test clocks start at.

The time of day is an input, never the machine's: a test that does not care about the hour
starts its clock at `clock_start` (`--clock-start` / $HOTLINE_TEST_CLOCK_START, ISO 8601;
default DEFAULT_CLOCK_START), so the suite can be run at any hour of the night; one that does
care (opening hours, shifts) states its own time, and runs at a closed and an open one.

Nothing here talks to the redis-server at 127.0.0.1:6379 of the machine: the session starts
its own on a free port and stops it by pid. PostgreSQL is required, never skipped: an
unreachable server fails the tests that need it with a message saying how to point them at one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from hotline.clock import at_epoch_s, parse_datetime
from hotline.redis_server import RedisProcess

CLOCK_START_ENV = "HOTLINE_TEST_CLOCK_START"
# A Friday afternoon in Almaty. A time without an offset is Asia/Almaty local time.
DEFAULT_CLOCK_START = "2026-11-20T15:00:00+05:00"
CLOCK_START_ZONE = "Asia/Almaty"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_CONNECT_TIMEOUT_S = 5


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock-start",
        default=None,
        metavar="DATETIME",
        help=f"local time every hour-independent test clock starts at, ISO 8601 (default: "
        f"${CLOCK_START_ENV}, else {DEFAULT_CLOCK_START}; no offset: {CLOCK_START_ZONE})",
    )


def configured_clock_start(config: pytest.Config) -> float:
    text = config.getoption("--clock-start") or os.environ.get(CLOCK_START_ENV)
    source = "--clock-start" if config.getoption("--clock-start") else CLOCK_START_ENV
    if not text:
        text, source = DEFAULT_CLOCK_START, "DEFAULT_CLOCK_START"
    try:
        return at_epoch_s(parse_datetime(text), CLOCK_START_ZONE)
    except ValueError as exc:
        raise pytest.UsageError(f"{source}: {exc}") from None


def pytest_configure(config: pytest.Config) -> None:
    configured_clock_start(config)  # a bad value stops the run before any test


def pytest_report_header(config: pytest.Config) -> str:
    start = configured_clock_start(config)
    shown = datetime.fromtimestamp(start, ZoneInfo(CLOCK_START_ZONE)).isoformat()
    return f"test clocks start at {shown} ({CLOCK_START_ZONE}) unless a test states its time"


@pytest.fixture(scope="session")
def clock_start(pytestconfig: pytest.Config) -> float:
    """Epoch seconds every hour-independent test clock starts at (see the module docstring)."""
    return configured_clock_start(pytestconfig)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    """The session's own redis-server (no persistence, loopback, free port)."""
    server = RedisProcess(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisProcess) -> str:
    """The URL of the session's redis-server, emptied (FLUSHALL) for this test.

    A test that stopped or restarted the server gets it started again first.
    """
    if not redis_server.running:
        redis_server.start(redis_server.port)
    with redis_server.client() as client:
        client.flushall()
    return redis_server.url


def pg_base_url() -> str:
    return os.environ.get("HOTLINE_TEST_PG_URL", DEFAULT_PG_URL)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after the test."""
    base = pg_base_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(
        base, poolclass=sa.pool.NullPool, connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S}
    )
    try:
        unreachable = None
        try:
            with admin.begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        except sa.exc.OperationalError as exc:
            unreachable = str(exc.orig).strip()
        if unreachable is not None:  # failed outside the except: no chained traceback
            shown = make_url(base).render_as_string(hide_password=True)
            pytest.fail(
                f"PostgreSQL at {shown} is unreachable ({unreachable}); these tests need it, "
                "they are never skipped. Start it or set "
                "HOTLINE_TEST_PG_URL=postgresql+psycopg://USER@HOST:PORT/DB.",
                pytrace=False,
            )
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file of this test."""
    return f"sqlite:///{tmp_path / 'records.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each records test runs on SQLite and on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(fixture)
    return url

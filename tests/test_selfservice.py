"""SelfService: the IVR drivers' one door to the self-service look-ups. It never raises."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from hotline.ivr.actions import Lookup
from hotline.ivr.iin import IinHasher, check_digit, mask_iin
from hotline.lists import import_list
from hotline.lists.db import make_engine, migrate
from hotline.requests import import_statuses
from hotline.selfservice import SelfService

KEY = bytes(range(100, 132))
LIST = "400-100 charity 50000"
HOTLINE = "109"


def make_iin(first11: str) -> str:
    digit = check_digit(first11)
    assert digit is not None, first11
    return f"{first11}{digit}"


# Valid numbers made with the check-digit algorithm (not real people).
ALIYA = make_iin("85061540012")
BERIK = make_iin("90010130033")
BAD_CHECK = BERIK[:-1] + str((int(BERIK[-1]) + 1) % 10)


def on_list(iin: str, list_name: str | None = LIST) -> Lookup:
    return Lookup(service="recipients_list", value=iin, list_name=list_name)


def status_of(number: str) -> Lookup:
    return Lookup(service="request_status", value=number)


@pytest.fixture
def hasher() -> IinHasher:
    return IinHasher(KEY)


@pytest.fixture
def engine(db_url: str, tmp_path: Path, hasher: IinHasher) -> Iterator[sa.Engine]:
    engine = make_engine(db_url)
    migrate(engine)
    lst = tmp_path / "list.csv"
    lst.write_text(f"iin\n{ALIYA}\n", encoding="utf-8")
    import_list(engine, LIST, lst, hasher)
    statuses = tmp_path / "statuses.csv"
    statuses.write_text("request_number,status\n1024,in_progress\n998,done\n", encoding="utf-8")
    import_statuses(engine, HOTLINE, statuses)
    yield engine
    engine.dispose()


@pytest.fixture
def down_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    """A database that cannot be reached (SQLite cannot open a file in a missing directory)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'hotline.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def unreachable_pg() -> Iterator[sa.Engine]:
    """A PostgreSQL URL where nothing listens (port 1 on the loopback)."""
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    yield engine
    engine.dispose()


def test_recipients_list_found_and_not_found(engine: sa.Engine, hasher: IinHasher) -> None:
    service = SelfService(engine, hasher)

    assert service.lookup(on_list(ALIYA), "400-100") == "found"
    assert service.lookup(on_list(f" {ALIYA[:6]} {ALIYA[6:]}"), "400-100") == "found"
    assert service.lookup(on_list(BERIK), "400-100") == "not_found"


def test_recipients_list_errors(
    engine: sa.Engine, hasher: IinHasher, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    service = SelfService(engine, hasher)

    assert service.lookup(on_list(BAD_CHECK), "400-100") == "error"
    assert service.lookup(on_list("123"), "400-100") == "error"
    assert service.lookup(on_list(ALIYA, "no such list"), "400-100") == "error"
    assert service.lookup(on_list(ALIYA, None), "400-100") == "error"
    assert SelfService(engine, None).lookup(on_list(ALIYA), "400-100") == "error"

    assert "check_digit" in caplog.text
    assert "no recipients list named 'no such list'" in caplog.text
    assert "without a list name" in caplog.text
    assert "no IIN key" in caplog.text
    assert mask_iin(ALIYA) in caplog.text
    for iin in (ALIYA, BAD_CHECK):
        assert iin not in caplog.text


def test_request_status_found_and_not_found(engine: sa.Engine) -> None:
    service = SelfService(engine, None)  # no IIN key needed for request statuses

    assert service.lookup(status_of("1024"), HOTLINE) == "in_progress"
    assert service.lookup(status_of("998"), HOTLINE) == "done"
    assert service.lookup(status_of("7777"), HOTLINE) == "not_found"
    assert service.lookup(status_of(""), HOTLINE) == "not_found"
    assert service.lookup(status_of("1024"), "1414") == "not_found"  # another hotline


@pytest.mark.parametrize("which", ["down_engine", "unreachable_pg"])
def test_an_unreachable_database_gives_error_and_no_exception(
    which: str,
    request: pytest.FixtureRequest,
    hasher: IinHasher,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    down: sa.Engine = request.getfixturevalue(which)
    service = SelfService(down, hasher)

    assert service.lookup(on_list(ALIYA), "400-100") == "error"
    assert service.lookup(status_of("1024"), HOTLINE) == "error"

    assert f"recipients list {LIST!r} look-up (IIN {mask_iin(ALIYA)}) failed" in caplog.text
    assert "hotline 109: request status look-up failed" in caplog.text
    assert ALIYA not in caplog.text


def test_a_database_without_the_schema_gives_error(
    sqlite_url: str, hasher: IinHasher, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(sqlite_url)  # never migrated
    try:
        service = SelfService(engine, hasher)
        assert service.lookup(on_list(ALIYA), "400-100") == "error"
        assert service.lookup(status_of("1024"), HOTLINE) == "error"
    finally:
        engine.dispose()
    assert ALIYA not in caplog.text


def test_an_unexpected_failure_is_logged_masked_and_gives_error(
    engine: sa.Engine,
    hasher: IinHasher,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError(f"something odd with {ALIYA}")

    monkeypatch.setattr("hotline.selfservice.is_listed", broken)
    monkeypatch.setattr("hotline.selfservice.request_status", broken)
    service = SelfService(engine, hasher)

    assert service.lookup(on_list(ALIYA), "400-100") == "error"
    assert service.lookup(status_of("1024"), HOTLINE) == "error"

    assert "failed unexpectedly: RuntimeError: something odd with" in caplog.text
    assert mask_iin(ALIYA) in caplog.text
    assert ALIYA not in caplog.text


def test_an_unknown_service_gives_error(engine: sa.Engine) -> None:
    odd = Lookup(service="weather", value="x")  # type: ignore[arg-type]
    assert SelfService(engine, None).lookup(odd, HOTLINE) == "error"

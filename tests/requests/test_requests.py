"""Request statuses on SQLite and on PostgreSQL (both always run; see tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hotline.cli import main
from hotline.records.models import Base
from hotline.requests import (
    RequestFileError,
    RequestsDatabaseError,
    RequestsError,
    import_statuses,
    request_status,
)
from hotline.requests import cli as requests_cli
from hotline.requests.db import make_engine, migrate
from hotline.requests.models import RequestStatus
from tests.migrations import head_revision

HOTLINE = "109"


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(db_url)
    migrate(engine)
    yield engine
    engine.dispose()


def write_csv(path: Path, *lines: str, encoding: str = "utf-8") -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding=encoding)
    return path


@pytest.fixture
def first_csv(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "requests-2026-03-01.csv",
        "request_number,status,applicant",
        "1024,registered,A. Aliyeva",
        "1025,in_progress,B. Berikov",
        "",  # blank: ignored
        "998,done,",
        "00042,rejected,",
    )


def stored(engine: sa.Engine, hotline_id: str = HOTLINE) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(RequestStatus.request_number, RequestStatus.status).where(
                RequestStatus.hotline_id == hotline_id
            )
        ).all()
    return {number: status for number, status in rows}


def test_the_migration_chain_builds_what_the_models_describe(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine)
        migrate(engine)  # a second run is a no-op
        with engine.connect() as conn:
            context = MigrationContext.configure(conn)
            diff = compare_metadata(context, Base.metadata)
            revision = context.get_current_revision()
            inspector = sa.inspect(conn)
            unique = {u["name"] for u in inspector.get_unique_constraints("request_statuses")}
            columns = {c["name"] for c in inspector.get_columns("call_records")}
    finally:
        engine.dispose()
    assert diff == []
    assert revision == head_revision()
    assert "uq_request_statuses_hotline_number" in unique
    assert {"ivr_node", "ivr_path"} <= columns


def test_import_then_look_up(engine: sa.Engine, first_csv: Path) -> None:
    at = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)

    report = import_statuses(engine, HOTLINE, first_csv, now=at)

    assert (report.hotline_id, report.imported, report.replaced) == (HOTLINE, 4, 0)
    assert request_status(engine, HOTLINE, "1024") == "registered"
    assert request_status(engine, HOTLINE, "1025") == "in_progress"
    assert request_status(engine, HOTLINE, " 998 ") == "done"  # spaces are ignored
    assert request_status(engine, HOTLINE, "00042") == "rejected"
    assert request_status(engine, HOTLINE, "42") is None  # kept as written
    assert request_status(engine, HOTLINE, "7777") is None
    assert request_status(engine, "1414", "1024") is None  # another hotline's number
    assert request_status(engine, HOTLINE, "") is None
    assert request_status(engine, HOTLINE, "12a") is None
    assert request_status(engine, HOTLINE, "1" * 21) is None
    with engine.connect() as conn:
        times = conn.execute(sa.select(RequestStatus.updated_at)).scalars().all()
    assert times == [at] * 4
    assert all(t.tzinfo is UTC for t in times)


def test_a_url_works_as_well_as_an_engine(engine: sa.Engine, db_url: str, first_csv: Path) -> None:
    assert import_statuses(db_url, HOTLINE, first_csv).imported == 4
    assert request_status(engine, HOTLINE, "1024") == "registered"


def test_reimporting_replaces_only_that_hotlines_statuses(
    engine: sa.Engine, first_csv: Path, tmp_path: Path
) -> None:
    import_statuses(engine, HOTLINE, first_csv)
    import_statuses(engine, "1414", first_csv)
    second = write_csv(
        tmp_path / "requests-2026-03-02.csv",
        "status;request_number",  # other order, other delimiter
        "done;1024",
        "in_progress;2048",
    )

    report = import_statuses(engine, HOTLINE, second)

    assert (report.imported, report.replaced) == (2, 4)
    assert stored(engine) == {"1024": "done", "2048": "in_progress"}
    assert request_status(engine, HOTLINE, "1025") is None  # gone with the old file
    assert stored(engine, "1414") == {  # the other hotline is untouched
        "1024": "registered",
        "1025": "in_progress",
        "998": "done",
        "00042": "rejected",
    }


def test_bad_lines_fail_the_whole_file_naming_file_and_line(
    engine: sa.Engine, first_csv: Path, tmp_path: Path
) -> None:
    import_statuses(engine, HOTLINE, first_csv)
    bad = write_csv(
        tmp_path / "bad.csv",
        "request_number,status",
        "5000,done",  # line 2: good
        "50-01,done",  # line 3
        "5002,In Progress",  # line 4
        "123456789012345678901,done",  # line 5: 21 digits
        "5000,registered",  # line 6: a duplicate of line 2
        "5003,",  # line 7
        "5004,not_found",  # line 8: a reserved result
        "5005,done",  # line 9: good
    )

    with pytest.raises(RequestFileError) as caught:
        import_statuses(engine, HOTLINE, bad)

    message = str(caught.value)
    for line in (3, 4, 5, 6, 7, 8):
        assert f"{bad}:{line}: " in message
    assert f"{bad}:2:" not in message
    assert f"{bad}:9:" not in message
    assert "nothing imported" in message
    assert "line 2" in message  # the duplicate names the first line
    assert [line for line, _ in caught.value.bad_lines] == [3, 4, 5, 6, 7, 8]
    assert isinstance(caught.value, RequestsError)
    assert stored(engine)["1024"] == "registered"  # the old statuses are whole
    assert request_status(engine, HOTLINE, "5000") is None
    assert request_status(engine, HOTLINE, "5005") is None


def test_a_file_with_a_bad_line_imports_nothing_into_an_empty_table(
    engine: sa.Engine, tmp_path: Path
) -> None:
    bad = write_csv(tmp_path / "bad.csv", "request_number,status", "1,done", "x,done")

    with pytest.raises(RequestFileError, match=r"bad\.csv:3: request_number 'x'"):
        import_statuses(engine, HOTLINE, bad)

    assert stored(engine) == {}


def test_many_bad_lines_are_summed_up(engine: sa.Engine, tmp_path: Path) -> None:
    lines = [f"{n},BAD" for n in range(30)]
    bad = write_csv(tmp_path / "many.csv", "request_number,status", *lines)

    with pytest.raises(RequestFileError, match=r"\.\.\. and 20 more bad line\(s\)") as caught:
        import_statuses(engine, HOTLINE, bad)

    assert len(caught.value.bad_lines) == 30
    assert "(30 bad line(s)" in str(caught.value)


def test_files_that_cannot_be_imported_name_the_file(engine: sa.Engine, tmp_path: Path) -> None:
    cases = [
        (tmp_path / "missing.csv", "cannot read"),
        (write_csv(tmp_path / "empty.csv"), "empty"),
        (write_csv(tmp_path / "header-only.csv", "request_number,status"), "no request statuses"),
        (write_csv(tmp_path / "no-status.csv", "request_number,state", "1,done"), "'status'"),
        (write_csv(tmp_path / "no-header.csv", "1024,done", "1025,done"), "'request_number'"),
        (
            write_csv(
                tmp_path / "latin1.csv",
                "request_number,status,n",
                "1,done,café",
                encoding="latin-1",
            ),
            "not UTF-8",
        ),
    ]
    for path, words in cases:
        with pytest.raises(RequestFileError, match=words) as caught:
            import_statuses(engine, HOTLINE, path)
        assert str(path) in str(caught.value)
    assert stored(engine) == {}


def test_excel_style_files_are_read(engine: sa.Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "excel.csv",
        " Request_Number ;Status;Region",
        " 1024 ; done ;Kyzylorda",
        encoding="utf-8-sig",  # with a BOM
    )

    assert import_statuses(engine, HOTLINE, path).imported == 1
    assert request_status(engine, HOTLINE, "1024") == "done"


def test_a_bad_hotline_id_is_refused(engine: sa.Engine, first_csv: Path) -> None:
    for hotline_id in ("", "  ", "x" * 33, " 109"):
        with pytest.raises(RequestsError, match="hotline id"):
            import_statuses(engine, hotline_id, first_csv)
    assert stored(engine) == {}


def test_a_failed_reimport_leaves_the_old_statuses_whole(
    engine: sa.Engine, first_csv: Path, tmp_path: Path
) -> None:
    import_statuses(engine, HOTLINE, first_csv)
    second = write_csv(tmp_path / "second.csv", "request_number,status", "1024,done")

    def fail_inserting(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO REQUEST_STATUSES"):
            raise sa.exc.OperationalError(statement, {}, Exception("the database went away"))

    sa.event.listen(engine, "before_cursor_execute", fail_inserting)
    try:
        with pytest.raises(RequestsDatabaseError, match="went away"):
            import_statuses(engine, HOTLINE, second)
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail_inserting)

    assert request_status(engine, HOTLINE, "1024") == "registered"
    assert len(stored(engine)) == 4


def test_a_lookup_on_an_unreachable_database_raises_a_requests_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    try:
        with pytest.raises(RequestsDatabaseError, match="hotline 109"):
            request_status(engine, HOTLINE, "1024")
    finally:
        engine.dispose()


def test_a_lookup_without_the_table_raises_a_requests_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'unmigrated.db'}")
    try:
        with pytest.raises(RequestsError):
            request_status(engine, HOTLINE, "1024")
    finally:
        engine.dispose()


def test_an_unknown_url_scheme_is_refused() -> None:
    with pytest.raises(RequestsError, match="sqlite"):
        make_engine("mysql://localhost/x")


def test_cli_imports_into_the_given_database(
    db_url: str, first_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["requests", "import", str(first_csv), "--hotline", HOTLINE, "--database-url", db_url]

    assert main(argv) == 0  # migrates a fresh database first
    second = write_csv(tmp_path / "second.csv", "request_number,status", "1024,done")
    assert main([*argv[:2], str(second), *argv[3:]]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "hotline 109: 4 request status(es) imported, none before",
        "hotline 109: 1 request status(es) imported, replacing 4",
    ]
    engine = make_engine(db_url)
    try:
        assert stored(engine) == {"1024": "done"}
    finally:
        engine.dispose()


def test_cli_defaults_to_sqlite_in_the_data_dir(
    first_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOTLINE_DATABASE_URL", raising=False)
    data_dir = tmp_path / "data"

    argv = ["requests", "import", str(first_csv), "--hotline", HOTLINE, "--data-dir", str(data_dir)]
    assert main(argv) == 0

    engine = make_engine(f"sqlite:///{data_dir / 'hotline.db'}")
    try:
        assert request_status(engine, HOTLINE, "998") == "done"
    finally:
        engine.dispose()


def test_cli_uses_hotline_database_url(
    first_csv: Path, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", sqlite_url)

    assert main(["requests", "import", str(first_csv), "--hotline", HOTLINE]) == 0

    engine = make_engine(sqlite_url)
    try:
        assert request_status(engine, HOTLINE, "1025") == "in_progress"
    finally:
        engine.dispose()


def test_cli_reports_a_bad_file_and_exits_1(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_csv(tmp_path / "bad.csv", "request_number,status", "1,done", "2,Done")

    code = main(
        ["requests", "import", str(bad), "--hotline", HOTLINE, "--database-url", sqlite_url]
    )

    assert code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"hotline: {bad}:3: status 'Done'" in captured.err
    engine = make_engine(sqlite_url)
    try:
        assert stored(engine) == {}
    finally:
        engine.dispose()


def test_cli_needs_the_hotline(first_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["requests", "import", str(first_csv)])
    assert exited.value.code == 2
    assert "--hotline" in capsys.readouterr().err


def test_summary_line() -> None:
    assert requests_cli.summary_line("109", 3, 0) == (
        "hotline 109: 3 request status(es) imported, none before"
    )
    assert requests_cli.summary_line("109", 3, 5).endswith("replacing 5")

"""Recipients lists on SQLite and on PostgreSQL (both always run; see tests/conftest.py)."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hotline.ivr.iin import IinHasher, IinKeyError, check_digit, mask_iin
from hotline.lists import (
    InvalidIinError,
    ListedResult,
    ListFileError,
    ListsError,
    SkippedLine,
    UnknownListError,
    import_list,
    is_listed,
)
from hotline.lists import cli as lists_cli
from hotline.lists.db import make_engine, migrate
from hotline.lists.models import RecipientList
from hotline.records.models import Base
from tests.migrations import head_revision

KEY = bytes(range(100, 132))
KEY_HEX = KEY.hex()
LIST = "400-100 charity 50000"


def make_iin(first11: str) -> str:
    digit = check_digit(first11)
    assert digit is not None, first11
    return f"{first11}{digit}"


# Valid numbers made with the check-digit algorithm (not real people).
ALIYA = make_iin("85061540012")  # 1985-06-15, a woman
BERIK = make_iin("90010130033")  # 1990-01-01, a man
DANA = make_iin("04021550180")  # 2004-02-15, decided by the second pass
ERLAN = make_iin("77123130077")  # 1977-12-31
VALID = (ALIYA, BERIK, DANA, ERLAN)

# Invalid ones, each for a known reason.
BAD_CHECK = BERIK[:-1] + str((int(BERIK[-1]) + 1) % 10)
BAD_DATE = "900230300334"
BAD_LENGTH = "9001013003"


@pytest.fixture
def hasher() -> IinHasher:
    return IinHasher(KEY)


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
        tmp_path / "charity-2020-04.csv",
        "iin,amount_tenge,note",
        f"{ALIYA},50000,first wave",  # line 2
        f"{BAD_CHECK},50000,",  # line 3
        f"{BERIK},,",  # line 4
        f"{BAD_DATE},50000,",  # line 5
        "",  # line 6: blank, ignored
        f"{DANA},42500,",  # line 7
        f"{BAD_LENGTH},50000,",  # line 8
    )


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
            tables = set(inspector.get_table_names())
            unique = {u["name"] for u in inspector.get_unique_constraints("recipient_entries")}
    finally:
        engine.dispose()
    assert diff == []
    assert revision == head_revision()
    assert {"call_records", "recipient_lists", "recipient_entries"} <= tables
    assert "uq_recipient_entries_list_iin" in unique


def test_import_then_look_up(engine: sa.Engine, first_csv: Path, hasher: IinHasher) -> None:
    report = import_list(engine, LIST, first_csv, hasher)

    assert report.list_name == LIST
    assert report.imported == 3
    assert report.replaced is False
    assert report.skipped_invalid == [(3, "check_digit"), (5, "date"), (8, "length")]
    assert is_listed(engine, LIST, ALIYA, hasher) == ListedResult(True, 50000)
    assert is_listed(engine, LIST, BERIK, hasher) == ListedResult(True, None)
    assert is_listed(engine, LIST, DANA, hasher).amount_tenge == 42500
    assert is_listed(engine, LIST, ERLAN, hasher) == ListedResult(False, None)
    assert is_listed(engine, LIST, " 850615 " + ALIYA[6:], hasher).listed  # spaces typed
    with engine.connect() as conn:
        row = conn.execute(sa.select(RecipientList)).one()
    assert (row.entry_count, row.source_file) == (3, "charity-2020-04.csv")
    assert row.imported_at.tzinfo is UTC


def test_a_url_works_as_well_as_an_engine(
    engine: sa.Engine, db_url: str, first_csv: Path, hasher: IinHasher
) -> None:
    assert import_list(db_url, LIST, first_csv, hasher).imported == 3
    assert is_listed(engine, LIST, DANA, hasher).listed


def test_reimporting_a_list_replaces_its_entries(
    engine: sa.Engine, first_csv: Path, tmp_path: Path, hasher: IinHasher
) -> None:
    import_list(engine, LIST, first_csv, hasher)
    import_list(engine, "other list", first_csv, hasher)
    second = write_csv(
        tmp_path / "charity-2020-05.csv", "iin,amount_tenge", f"{BERIK},60000", f"{ERLAN},50000"
    )
    imported_at = datetime(2020, 5, 1, 4, 0, tzinfo=UTC)

    report = import_list(engine, LIST, second, hasher, now=imported_at)

    assert (report.imported, report.skipped_invalid, report.replaced) == (2, [], True)
    assert is_listed(engine, LIST, ALIYA, hasher) == ListedResult(False, None)
    assert is_listed(engine, LIST, BERIK, hasher) == ListedResult(True, 60000)
    assert is_listed(engine, LIST, ERLAN, hasher) == ListedResult(True, 50000)
    assert is_listed(engine, "other list", ALIYA, hasher).listed  # another list is untouched
    with engine.connect() as conn:
        rows = conn.execute(sa.select(RecipientList).order_by(RecipientList.name)).all()
    assert [(r.name, r.entry_count) for r in rows] == [(LIST, 2), ("other list", 3)]
    assert rows[0].imported_at == imported_at
    assert rows[0].source_file == "charity-2020-05.csv"


def test_a_failed_reimport_leaves_the_old_list_whole(
    engine: sa.Engine, first_csv: Path, tmp_path: Path, hasher: IinHasher
) -> None:
    import_list(engine, LIST, first_csv, hasher)
    second = write_csv(tmp_path / "second.csv", "iin", ERLAN)

    def fail_inserting_entries(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO RECIPIENT_ENTRIES"):
            raise RuntimeError("the database went away")

    sa.event.listen(engine, "before_cursor_execute", fail_inserting_entries)
    try:
        with pytest.raises(RuntimeError, match="went away"):
            import_list(engine, LIST, second, hasher)
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail_inserting_entries)

    assert is_listed(engine, LIST, ALIYA, hasher) == ListedResult(True, 50000)
    assert is_listed(engine, LIST, ERLAN, hasher).listed is False
    with engine.connect() as conn:
        assert conn.execute(sa.select(RecipientList.entry_count)).scalar_one() == 3


def test_a_file_without_a_valid_line_changes_nothing(
    engine: sa.Engine, first_csv: Path, tmp_path: Path, hasher: IinHasher
) -> None:
    import_list(engine, LIST, first_csv, hasher)
    wrong = write_csv(tmp_path / "wrong.csv", "iin", BAD_DATE, BAD_CHECK)

    with pytest.raises(ListFileError, match=r"wrong\.csv.*not changed"):
        import_list(engine, LIST, wrong, hasher)

    assert is_listed(engine, LIST, ALIYA, hasher).listed


def test_a_missing_iin_column_names_the_file_and_echoes_no_number(
    engine: sa.Engine, tmp_path: Path, hasher: IinHasher
) -> None:
    no_header = write_csv(tmp_path / "no-header.csv", f"{ALIYA},50000", f"{BERIK},50000")
    wrong_column = write_csv(tmp_path / "wrong-column.csv", "ИИН,amount_tenge", f"{ALIYA},1")

    for path in (no_header, wrong_column):
        with pytest.raises(ListFileError) as caught:
            import_list(engine, LIST, path, hasher)
        message = str(caught.value)
        assert str(path) in message
        assert "'iin' column" in message
        assert ALIYA not in message
    with pytest.raises(UnknownListError):
        is_listed(engine, LIST, ALIYA, hasher)  # nothing was created


def test_unreadable_files_name_the_file(
    engine: sa.Engine, tmp_path: Path, hasher: IinHasher
) -> None:
    missing = tmp_path / "missing.csv"
    empty = write_csv(tmp_path / "empty.csv")
    latin1 = write_csv(tmp_path / "latin1.csv", "iin,note", f"{ALIYA},café", encoding="latin-1")

    for path, words in ((missing, "cannot read"), (empty, "empty"), (latin1, "not UTF-8")):
        with pytest.raises(ListFileError, match=words) as caught:
            import_list(engine, LIST, path, hasher)
        assert str(path) in str(caught.value)


def test_excel_style_files_and_bad_amounts_and_duplicates(
    engine: sa.Engine, tmp_path: Path, hasher: IinHasher
) -> None:
    path = write_csv(
        tmp_path / "excel.csv",
        " IIN ;Amount_Tenge;Note;region",
        f"{ALIYA};50 000;;Kyzylorda",  # line 2
        f"{BERIK};-5;;Kyzylorda",  # line 3
        f"{DANA};fifty;;Kyzylorda",  # line 4
        f"{ALIYA};60000;;Kyzylorda",  # line 5: ALIYA again
        f"{ERLAN};99999999999;;Kyzylorda",  # line 6: more than the column holds
        encoding="utf-8-sig",  # with a BOM
    )

    report = import_list(engine, LIST, path, hasher)

    assert report.imported == 1
    assert report.skipped_invalid == [
        SkippedLine(3, "amount"),
        SkippedLine(4, "amount"),
        SkippedLine(5, "duplicate"),
        SkippedLine(6, "amount"),
    ]
    assert is_listed(engine, LIST, ALIYA, hasher) == ListedResult(True, 50000)


def test_looking_up_an_unknown_list_or_an_invalid_iin(
    engine: sa.Engine, first_csv: Path, hasher: IinHasher
) -> None:
    import_list(engine, LIST, first_csv, hasher)

    with pytest.raises(UnknownListError, match="no such list") as unknown:
        is_listed(engine, "no such list", ALIYA, hasher)
    assert unknown.value.list_name == "no such list"
    assert ALIYA not in str(unknown.value)
    with pytest.raises(InvalidIinError) as invalid:
        is_listed(engine, LIST, BAD_CHECK, hasher)
    assert invalid.value.reason == "check_digit"
    assert BAD_CHECK not in str(invalid.value)


def test_a_bad_list_name_is_refused(engine: sa.Engine, first_csv: Path, hasher: IinHasher) -> None:
    for name in ("", "  ", "x" * 65):
        with pytest.raises(ListsError, match="list name"):
            import_list(engine, name, first_csv, hasher)


def all_stored_text(engine: sa.Engine) -> str:
    """Every value of every column of every table, as text."""
    values: list[str] = []
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        for table_name in inspector.get_table_names():
            table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
            for row in conn.execute(sa.select(table)):
                values.extend(str(value) for value in row)
    return "\n".join(values)


def test_no_iin_is_stored_or_logged_in_clear(
    engine: sa.Engine,
    tmp_path: Path,
    hasher: IinHasher,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, "sqlalchemy.engine")  # its statement log (WARNING by default)
    path = write_csv(
        tmp_path / "privacy.csv",
        "iin,amount_tenge,note,full_name",
        f"{ALIYA},50000,checked by phone,Aliya A.",
        f"{BERIK},50000,same family as {DANA},Berik B.",  # an IIN typed into the note
        f"{BAD_CHECK},50000,,Someone",
        f"{BAD_LENGTH},50000,,Someone",
        f"{ALIYA},1,,Aliya A.",  # a duplicate
    )
    report = import_list(engine, LIST, path, hasher)
    import_list(engine, LIST, path, hasher)  # and a replacement
    results = [is_listed(engine, LIST, iin, hasher) for iin in (ALIYA, ERLAN)]
    for iin in (BAD_CHECK, BAD_LENGTH):
        with pytest.raises(InvalidIinError) as caught:
            is_listed(engine, LIST, iin, hasher)
        logging.getLogger("test").warning("lookup refused: %s", caught.value)
    with pytest.raises(UnknownListError) as unknown:
        is_listed(engine, "nope", DANA, hasher)
    lists_cli_output = lists_cli.summary_line(
        report.list_name, report.imported, report.skipped_invalid, report.replaced
    )

    stored = all_stored_text(engine)
    shown = "\n".join(
        [caplog.text, repr(report), repr(results), str(unknown.value), lists_cli_output]
    )
    assert hasher.hash(ALIYA) in stored  # the scan does see the entries
    assert mask_iin(DANA) in stored  # the note keeps a masked number
    assert "Aliya" not in stored  # columns the list does not know are not stored
    assert "lookup refused" in caplog.text
    assert "INSERT INTO recipient_entries" in caplog.text  # the statement log was captured
    for iin in (*VALID, BAD_CHECK, BAD_LENGTH):
        assert iin not in stored
        assert iin not in shown
    assert capsys.readouterr().out == ""


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hotline")
    lists_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_cli_imports_into_the_given_database(
    db_url: str,
    first_csv: Path,
    hasher: IinHasher,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HOTLINE_IIN_KEY", KEY_HEX)
    monkeypatch.delenv("HOTLINE_IIN_KEY_FILE", raising=False)
    args = parse(["lists", "import", str(first_csv), "--list", LIST, "--database-url", db_url])

    assert lists_cli.run(args) == 0  # migrates a fresh database first
    assert lists_cli.run(args) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        f"list {LIST!r}: imported 3, skipped 3"
        " (line 3: check_digit, line 5: date, line 8: length), new list"
    )
    assert lines[1].endswith("replaced the previous entries")
    engine = make_engine(db_url)
    try:
        assert is_listed(engine, LIST, DANA, hasher) == ListedResult(True, 42500)
    finally:
        engine.dispose()


def test_cli_defaults_to_sqlite_in_the_data_dir(
    first_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_IIN_KEY", KEY_HEX)
    monkeypatch.delenv("HOTLINE_IIN_KEY_FILE", raising=False)
    monkeypatch.delenv("HOTLINE_DATABASE_URL", raising=False)
    data_dir = tmp_path / "data"

    args = parse(["lists", "import", str(first_csv), "--list", LIST, "--data-dir", str(data_dir)])
    assert lists_cli.run(args) == 0

    engine = make_engine(f"sqlite:///{data_dir / 'hotline.db'}")
    try:
        assert is_listed(engine, LIST, ALIYA, IinHasher(KEY)).listed
    finally:
        engine.dispose()


def test_cli_without_a_key_fails_naming_the_variable(
    first_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOTLINE_IIN_KEY", raising=False)
    monkeypatch.delenv("HOTLINE_IIN_KEY_FILE", raising=False)
    args = parse(["lists", "import", str(first_csv), "--list", LIST, "--data-dir", str(tmp_path)])

    with pytest.raises(IinKeyError, match="HOTLINE_IIN_KEY"):
        lists_cli.run(args)


def test_summary_line_shows_at_most_twenty_skipped_lines() -> None:
    skipped = [SkippedLine(n, "date") for n in range(2, 32)]

    line = lists_cli.summary_line("x", 5, skipped, False)

    assert line.startswith("list 'x': imported 5, skipped 30 (line 2: date, ")
    assert "line 21: date, ... and 10 more), new list" in line

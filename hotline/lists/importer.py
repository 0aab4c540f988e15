"""Import a recipients list from a CSV file, storing every IIN only as its keyed hash.

The file has a header line; the `iin` column is required, `amount_tenge` and `note` are
optional, other columns are ignored (and never stored). Column names are matched without
regard to case or surrounding spaces; the delimiter may be `,`, `;` or a tab; a UTF-8 BOM
(as Excel writes) is accepted. A sample::

    iin,amount_tenge,note
    900101300334,50000,first wave
    040215501807,,

A line is skipped, and reported by its line number and a reason code (never its IIN), when
its IIN is not valid (`validate_iin`'s codes: `length`, `not_digits`, `century`, `date`,
`check_digit`), when its amount is not a whole number of tenge from 0 up (`amount`), or when
its IIN already appeared earlier in the file (`duplicate`).

Importing a list under a name that exists replaces that list's entries, in one transaction:
a reader sees either the old list or the new one. A file without a single valid line changes
nothing (it is far more likely a wrong file than an emptied list).
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal, NamedTuple, TextIO, TypeAlias

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from hotline.ivr.iin import IinHasher, IinReason, mask_iin, normalise_iin, validate_iin
from hotline.lists.db import describe_db_error, make_engine
from hotline.lists.errors import ListFileError, ListsError
from hotline.lists.models import (
    LIST_NAME_MAX,
    NOTE_MAX,
    SOURCE_FILE_MAX,
    RecipientEntry,
    RecipientList,
)
from hotline.records.csvrows import csv_reader, data_rows, header_columns

log = logging.getLogger(__name__)

IIN_COLUMN: Final = "iin"
AMOUNT_COLUMN: Final = "amount_tenge"
NOTE_COLUMN: Final = "note"
#: The largest amount the `amount_tenge` column (a 32-bit integer) holds.
AMOUNT_MAX_TENGE: Final = 2**31 - 1

SkipReason: TypeAlias = IinReason | Literal["amount", "duplicate"]

# A run of exactly 12 ASCII digits in a note: most likely an IIN typed into the wrong cell.
_IIN_LIKE: Final = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")


class SkippedLine(NamedTuple):
    """A line of the CSV file that was not imported: its number (the header is line 1)."""

    line: int
    reason: SkipReason


@dataclass(frozen=True)
class ImportReport:
    list_name: str
    imported: int
    skipped_invalid: list[SkippedLine]
    #: True if a list of this name existed and its entries were replaced.
    replaced: bool


@dataclass(frozen=True)
class _Entry:
    iin_hash: str
    amount_tenge: int | None
    note: str | None


def import_list(
    engine_or_url: Engine | str,
    name: str,
    csv_path: Path,
    hasher: IinHasher,
    *,
    now: datetime | None = None,
) -> ImportReport:
    """Import (or replace) the list `name` from `csv_path`. The schema must be migrated.

    Raises `ListFileError` (naming the file) for a file that cannot be imported and
    `ListsError` for a bad name or a database failure; the database is then unchanged.
    """
    _check_name(name)
    imported_at = datetime.now(UTC) if now is None else now
    entries, skipped = _read_entries(csv_path, hasher)
    if not entries:
        raise ListFileError(
            f"{csv_path}: no valid IIN in {len(skipped)} line(s); list {name!r} not changed"
        )
    owned = isinstance(engine_or_url, str)
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    try:
        with engine.begin() as conn:
            replaced = _store(conn, name, csv_path.name, imported_at, entries)
    except SQLAlchemyError as exc:
        raise ListsError(f"cannot import list {name!r}: {describe_db_error(exc)}") from None
    finally:
        if owned:
            engine.dispose()
    log.info(
        "list %r: imported %d entries from %s, skipped %d line(s)%s",
        name,
        len(entries),
        csv_path.name,
        len(skipped),
        " (replaced)" if replaced else "",
    )
    return ImportReport(name, len(entries), skipped, replaced)


def _check_name(name: str) -> None:
    if not name.strip() or len(name) > LIST_NAME_MAX:
        raise ListsError(f"a list name needs 1 to {LIST_NAME_MAX} characters, got {name!r}")


def _store(
    conn: Connection, name: str, source: str, imported_at: datetime, entries: list[_Entry]
) -> bool:
    """Write the list and its entries; True if an existing list was replaced."""
    values = {
        "imported_at": imported_at,
        "entry_count": len(entries),
        "source_file": source[-SOURCE_FILE_MAX:],
    }
    list_id = conn.execute(
        select(RecipientList.id).where(RecipientList.name == name).with_for_update()
    ).scalar_one_or_none()
    replaced = list_id is not None
    if list_id is None:
        list_id = conn.execute(
            insert(RecipientList).values(name=name, **values).returning(RecipientList.id)
        ).scalar_one()
    else:
        conn.execute(delete(RecipientEntry).where(RecipientEntry.list_id == list_id))
        conn.execute(update(RecipientList).where(RecipientList.id == list_id).values(**values))
    conn.execute(
        insert(RecipientEntry),
        [
            {
                "list_id": list_id,
                "iin_hash": e.iin_hash,
                "amount_tenge": e.amount_tenge,
                "note": e.note,
            }
            for e in entries
        ],
    )
    return replaced


def _read_entries(csv_path: Path, hasher: IinHasher) -> tuple[list[_Entry], list[SkippedLine]]:
    entries: list[_Entry] = []
    skipped: list[SkippedLine] = []
    seen: set[str] = set()
    try:
        with csv_path.open(encoding="utf-8-sig", newline="") as file:
            for line, row in _rows(file, csv_path):
                parsed = _parse_row(row, hasher)
                if isinstance(parsed, str):
                    skipped.append(SkippedLine(line, parsed))
                elif parsed.iin_hash in seen:
                    skipped.append(SkippedLine(line, "duplicate"))
                else:
                    seen.add(parsed.iin_hash)
                    entries.append(parsed)
    except OSError as exc:
        raise ListFileError(f"{csv_path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ListFileError(f"{csv_path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise ListFileError(f"{csv_path}: not a readable CSV file: {exc}") from None
    return entries, skipped


def _rows(file: TextIO, csv_path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row by lower-case column name) for every data line of the file."""
    reader = csv_reader(file)
    header = next(reader, None)
    if header is None:
        raise ListFileError(f"{csv_path}: the file is empty; line 1 must name the columns")
    columns = header_columns(header)
    if IIN_COLUMN not in columns:
        # The header is not quoted back: a file without one starts with a data line.
        raise ListFileError(
            f"{csv_path}: no {IIN_COLUMN!r} column in the header (line 1); expected"
            f" {IIN_COLUMN}[,{AMOUNT_COLUMN}][,{NOTE_COLUMN}]"
        )
    yield from data_rows(reader, columns)


def _parse_row(row: dict[str, str], hasher: IinHasher) -> _Entry | SkipReason:
    iin = normalise_iin(row.get(IIN_COLUMN, ""))
    check = validate_iin(iin)
    if check.reason is not None:
        return check.reason
    amount = _parse_amount(row.get(AMOUNT_COLUMN, ""))
    if amount == "amount":
        return amount
    return _Entry(hasher.hash(iin), amount, _clean_note(row.get(NOTE_COLUMN, "")))


def _parse_amount(text: str) -> int | None | Literal["amount"]:
    text = text.strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        return "amount"
    amount = int(text)
    return amount if amount <= AMOUNT_MAX_TENGE else "amount"


def _clean_note(text: str) -> str | None:
    """The note, stripped and cut to fit, with anything that looks like an IIN masked."""
    note = _IIN_LIKE.sub(lambda m: mask_iin(m.group()), text.strip())
    return note[:NOTE_MAX] or None

"""Import the request statuses of one hotline from a CSV file (all or nothing).

The file has a header line naming the columns `request_number` and `status`; other columns
are ignored (and never stored). Column names are matched without regard to case or
surrounding spaces; the delimiter may be `,`, `;` or a tab; a UTF-8 BOM (as Excel writes) is
accepted; blank lines are skipped. A sample::

    request_number,status
    1024,registered
    1025,in_progress
    998,done

A request number is 1 to 20 ASCII digits (kept as written: `0042` and `42` are different
numbers); a status is a short id matching `^[a-z][a-z0-9_]*$` (at most 32 characters), for
example `registered`, `in_progress`, `done`, `rejected` (not `found`, `not_found` or `error`:
those are the IVR's other look-up results). The IVR maps a status to its prompt.

Any bad line (a bad number, a bad status, a number given twice) fails the whole file with an
error naming `FILE:LINE` and the reason, and nothing is imported. A good file replaces every
status of the hotline in one transaction: a reader sees either the old statuses or the new
ones. A file without a single data line changes nothing (it is far more likely a wrong file
than a hotline without requests).
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, TextIO

from sqlalchemy import Connection, Engine, delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from hotline.records.csvrows import csv_reader, data_rows, header_columns
from hotline.requests.db import describe_db_error, make_engine
from hotline.requests.errors import RequestFileError, RequestsDatabaseError, RequestsError
from hotline.requests.models import HOTLINE_ID_MAX, STATUS_MAX, RequestStatus

log = logging.getLogger(__name__)

NUMBER_COLUMN: Final = "request_number"
STATUS_COLUMN: Final = "status"
#: The longest request number a caller can key in and the file may hold.
REQUEST_NUMBER_MAX_DIGITS: Final = 20
#: How many bad lines an error message shows before "... and N more".
SHOWN_BAD_LINES_MAX: Final = 10

STATUS_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]*")
#: The IVR's other look-up results (`LookupDone.result`): not a status, or they would clash.
RESERVED_STATUSES: Final = frozenset({"found", "not_found", "error"})
_NUMBER_PATTERN: Final = re.compile(rf"[0-9]{{1,{REQUEST_NUMBER_MAX_DIGITS}}}")
_SHOWN_VALUE_MAX: Final = 40


@dataclass(frozen=True)
class ImportReport:
    hotline_id: str
    #: How many request statuses the hotline has now.
    imported: int
    #: How many statuses the hotline had before (all replaced); 0 for a first import.
    replaced: int


def is_request_number(text: str) -> bool:
    """1 to 20 ASCII digits, nothing else."""
    return _NUMBER_PATTERN.fullmatch(text) is not None


def is_status(text: str) -> bool:
    """A status id: `^[a-z][a-z0-9_]*$`, at most 32 characters, not a reserved result."""
    return (
        len(text) <= STATUS_MAX
        and STATUS_PATTERN.fullmatch(text) is not None
        and text not in RESERVED_STATUSES
    )


def import_statuses(
    engine_or_url: Engine | str,
    hotline_id: str,
    csv_path: Path,
    *,
    now: datetime | None = None,
) -> ImportReport:
    """Replace the request statuses of `hotline_id` with those of `csv_path`.

    The schema must be migrated. Raises `RequestFileError` (naming the file, and `FILE:LINE`
    for bad lines) for a file that cannot be imported, `RequestsError` for a bad hotline id and
    `RequestsDatabaseError` for a database failure; the database is then unchanged.
    """
    _check_hotline_id(hotline_id)
    updated_at = datetime.now(UTC) if now is None else now
    statuses = _read_statuses(csv_path)
    if not statuses:
        raise RequestFileError(
            f"{csv_path}: no request statuses in the file; hotline {hotline_id}'s statuses"
            " not changed"
        )
    owned = isinstance(engine_or_url, str)
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    try:
        with engine.begin() as conn:
            replaced = _store(conn, hotline_id, updated_at, statuses)
    except SQLAlchemyError as exc:
        raise RequestsDatabaseError(
            f"cannot import the request statuses of hotline {hotline_id}: {describe_db_error(exc)}"
        ) from None
    finally:
        if owned:
            engine.dispose()
    log.info(
        "hotline %s: imported %d request status(es) from %s, replaced %d",
        hotline_id,
        len(statuses),
        csv_path.name,
        replaced,
    )
    return ImportReport(hotline_id, len(statuses), replaced)


def _check_hotline_id(hotline_id: str) -> None:
    if (
        not hotline_id.strip()
        or len(hotline_id) > HOTLINE_ID_MAX
        or hotline_id != hotline_id.strip()
    ):
        raise RequestsError(
            f"a hotline id needs 1 to {HOTLINE_ID_MAX} characters without surrounding spaces,"
            f" got {hotline_id!r}"
        )


def _store(
    conn: Connection, hotline_id: str, updated_at: datetime, statuses: dict[str, str]
) -> int:
    """Delete the hotline's statuses and insert the new ones; how many were deleted."""
    where = RequestStatus.hotline_id == hotline_id
    before = int(conn.execute(select(func.count(RequestStatus.id)).where(where)).scalar_one())
    conn.execute(delete(RequestStatus).where(where))
    conn.execute(
        insert(RequestStatus),
        [
            {
                "hotline_id": hotline_id,
                "request_number": number,
                "status": status,
                "updated_at": updated_at,
            }
            for number, status in statuses.items()
        ],
    )
    return before


def _read_statuses(csv_path: Path) -> dict[str, str]:
    """Request number -> status, in file order; raises `RequestFileError` for any bad line."""
    statuses: dict[str, str] = {}
    first_line: dict[str, int] = {}
    bad: list[tuple[int, str]] = []
    try:
        with csv_path.open(encoding="utf-8-sig", newline="") as file:
            for line, row in _rows(file, csv_path):
                number = row.get(NUMBER_COLUMN, "").strip()
                status = row.get(STATUS_COLUMN, "").strip()
                if not is_request_number(number):
                    bad.append(
                        (
                            line,
                            f"request_number {_shown(number)} is not 1 to"
                            f" {REQUEST_NUMBER_MAX_DIGITS} digits",
                        )
                    )
                elif status in RESERVED_STATUSES:
                    bad.append((line, f"status {status!r} is reserved for the IVR's own results"))
                elif not is_status(status):
                    bad.append(
                        (
                            line,
                            f"status {_shown(status)} is not an id like 'in_progress'"
                            f" (a-z, 0-9, _; a letter first; at most {STATUS_MAX} characters)",
                        )
                    )
                elif number in first_line:
                    bad.append(
                        (
                            line,
                            f"request_number {number} already given on line {first_line[number]}",
                        )
                    )
                else:
                    first_line[number] = line
                    statuses[number] = status
    except OSError as exc:
        raise RequestFileError(f"{csv_path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RequestFileError(f"{csv_path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise RequestFileError(f"{csv_path}: not a readable CSV file: {exc}") from None
    if bad:
        shown = "; ".join(
            f"{csv_path}:{line}: {reason}" for line, reason in bad[:SHOWN_BAD_LINES_MAX]
        )
        more = len(bad) - SHOWN_BAD_LINES_MAX
        raise RequestFileError(
            f"{shown}{f'; ... and {more} more bad line(s)' if more > 0 else ''}"
            f" ({len(bad)} bad line(s) in {csv_path}; nothing imported)",
            bad,
        )
    return statuses


def _shown(value: str) -> str:
    if not value:
        return "(empty)"
    if len(value) > _SHOWN_VALUE_MAX:
        return repr(value[:_SHOWN_VALUE_MAX] + "...")
    return repr(value)


def _rows(file: TextIO, csv_path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row by lower-case column name) for every data line of the file."""
    reader = csv_reader(file)
    header = next(reader, None)
    if header is None:
        raise RequestFileError(f"{csv_path}: the file is empty; line 1 must name the columns")
    columns = header_columns(header)
    missing = [c for c in (NUMBER_COLUMN, STATUS_COLUMN) if c not in columns]
    if missing:
        raise RequestFileError(
            f"{csv_path}:1: no {' and no '.join(repr(c) for c in missing)} column in the"
            f" header; expected {NUMBER_COLUMN},{STATUS_COLUMN}"
        )
    yield from data_rows(reader, columns)

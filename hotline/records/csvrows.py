"""Reading the operators' CSV exports (recipients lists, request statuses): the delimiter
guessed from the header (',', ';' or a tab, as spreadsheets write them), then each data line
as a dict by lower-case column name with its line number. Each importer checks its own
columns and raises its own errors."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final, TextIO

if TYPE_CHECKING:
    from _csv import _reader

DELIMITERS: Final = ",;\t"
SAMPLE_CHARS: Final = 4096


def csv_reader(file: TextIO) -> _reader:
    """A reader with the delimiter the header line uses most (',' if none)."""
    sample = file.read(SAMPLE_CHARS)
    file.seek(0)
    header = sample.splitlines()[0] if sample else ""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return csv.reader(file, delimiter=best if counts[best] else ",")


def header_columns(header: list[str]) -> list[str]:
    return [column.strip().lower() for column in header]


def data_rows(reader: _reader, columns: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row by column name) for every data line after the header; blank lines
    are skipped."""
    for fields in reader:
        if not any(field.strip() for field in fields):
            continue
        row = {column: field for column, field in zip(columns, fields, strict=False) if column}
        yield reader.line_num, row

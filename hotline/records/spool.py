"""The spool: call records the database did not take, one JSON line each, fsynced.

Written only under the store's lock. A line that cannot be parsed (a crash in the middle of
an append) is moved to `records.spool.rejected.jsonl` for a person to look at, never dropped.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from hotline.records.errors import InvalidRecordError, SpoolError
from hotline.records.record import CallRecord

SPOOL_NAME = "records.spool.jsonl"
REJECTED_NAME = "records.spool.rejected.jsonl"

log = logging.getLogger(__name__)


class Spool:
    def __init__(self, directory: Path) -> None:
        self.path = directory / SPOOL_NAME
        self.rejected_path = directory / REJECTED_NAME

    def append(self, record: CallRecord) -> None:
        """Add one record durably (fsync) or raise `SpoolError`."""
        line = json.dumps(record.to_json_dict(), ensure_ascii=False, sort_keys=True) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            append_lines(self.path, [line])
        except OSError as exc:
            raise SpoolError(f"cannot spool call record {record.call_id}: {exc}") from exc

    def read(self) -> list[CallRecord]:
        """Every spooled record, oldest first (unparseable lines are moved aside)."""
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise SpoolError(f"cannot read the spool {self.path}: {exc}") from exc
        records: list[CallRecord] = []
        good: list[str] = []
        bad: list[str] = []
        for line in text.splitlines(keepends=True):
            if not line.strip():
                continue
            try:
                records.append(CallRecord.from_json_dict(json.loads(line)))
            except (ValueError, TypeError, InvalidRecordError):
                bad.append(line if line.endswith("\n") else line + "\n")
            else:
                good.append(line if line.endswith("\n") else line + "\n")
        if bad:
            self._move_aside(bad, good)
        return records

    def clear(self) -> None:
        """Forget every spooled record (they are in the database now)."""
        try:
            self.path.unlink(missing_ok=True)
            _fsync_dir(self.path.parent)
        except OSError as exc:
            # They are in the database: a later replay is harmless (duplicates are ignored).
            log.warning("could not clear the spool %s: %s", self.path, exc)

    def _move_aside(self, bad: list[str], good: list[str]) -> None:
        log.error("moving %d unreadable spool line(s) to %s", len(bad), self.rejected_path)
        try:
            append_lines(self.rejected_path, bad)
            tmp = self.path.with_suffix(".tmp")
            with tmp.open("w", encoding="utf-8") as out:
                out.writelines(good)
                out.flush()
                os.fsync(out.fileno())
            tmp.replace(self.path)
            _fsync_dir(self.path.parent)
        except OSError as exc:
            raise SpoolError(f"cannot rewrite the spool {self.path}: {exc}") from exc


def append_lines(path: Path, lines: list[str]) -> None:
    with path.open("a+b") as out:
        # A torn last line (crash mid-append) must not swallow the next record.
        if out.tell() > 0:
            out.seek(-1, os.SEEK_END)
            if out.read(1) != b"\n":
                out.write(b"\n")
        out.write("".join(lines).encode("utf-8"))
        out.flush()
        os.fsync(out.fileno())


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

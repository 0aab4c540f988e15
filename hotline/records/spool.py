"""The spool: call records the database did not take, one JSON line each, fsynced.

Written only under the store's lock. A line that cannot be parsed (a crash in the middle of
an append) is moved to `records.spool.rejected.jsonl` for a person to look at, never dropped.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from hotline.records.errors import InvalidRecordError, SpoolError
from hotline.records.record import CallRecord

SPOOL_NAME = "records.spool.jsonl"
REJECTED_NAME = "records.spool.rejected.jsonl"

log = logging.getLogger(__name__)

T = TypeVar("T")


class JsonLinesSpool(Generic[T]):
    """Items the database did not take, one JSON line each, appended durably (fsync)."""

    def __init__(
        self,
        path: Path,
        rejected_path: Path,
        to_json: Callable[[T], dict[str, Any]],
        from_json: Callable[[dict[str, Any]], T],
        describe: Callable[[T], str],
    ) -> None:
        self.path = path
        self.rejected_path = rejected_path
        self._to_json = to_json
        self._from_json = from_json
        self._describe = describe

    def append(self, item: T) -> None:
        """Add one item durably (fsync) or raise `SpoolError`."""
        line = json.dumps(self._to_json(item), ensure_ascii=False, sort_keys=True) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            append_lines(self.path, [line])
        except OSError as exc:
            raise SpoolError(f"cannot spool {self._describe(item)}: {exc}") from exc

    def read(self) -> list[T]:
        """Every spooled item, oldest first (unparseable lines are moved aside)."""
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise SpoolError(f"cannot read the spool {self.path}: {exc}") from exc
        items: list[T] = []
        good: list[str] = []
        bad: list[str] = []
        for line in text.splitlines(keepends=True):
            if not line.strip():
                continue
            try:
                items.append(self._from_json(json.loads(line)))
            except (ValueError, TypeError, InvalidRecordError):
                bad.append(line if line.endswith("\n") else line + "\n")
            else:
                good.append(line if line.endswith("\n") else line + "\n")
        if bad:
            self._move_aside(bad, good)
        return items

    def clear(self) -> None:
        """Forget every spooled item (they are in the database now)."""
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


class Spool(JsonLinesSpool[CallRecord]):
    """The call records' spool."""

    def __init__(self, directory: Path) -> None:
        super().__init__(
            directory / SPOOL_NAME,
            directory / REJECTED_NAME,
            CallRecord.to_json_dict,
            CallRecord.from_json_dict,
            lambda record: f"call record {record.call_id}",
        )


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

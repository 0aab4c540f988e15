"""Errors of the request statuses."""

from __future__ import annotations

from hotline.errors import HotlineError


class RequestsError(HotlineError):
    """Base of everything `hotline.requests` raises."""


class RequestFileError(RequestsError):
    """A CSV file that cannot be imported (unreadable, no header, bad lines, ...).

    The message names the file, and `FILE:LINE` for every bad line shown; `bad_lines` holds
    every bad line as (line number, reason). Nothing of the file was imported.
    """

    def __init__(self, message: str, bad_lines: list[tuple[int, str]] | None = None) -> None:
        super().__init__(message)
        self.bad_lines: list[tuple[int, str]] = bad_lines or []


class RequestsDatabaseError(RequestsError):
    """The database failed (unreachable, no schema, ...). The message holds no bound values."""

"""Errors of the recipients lists. No message ever holds an IIN in clear."""

from __future__ import annotations

from hotline.errors import HotlineError
from hotline.ivr.iin import IinReason


class ListsError(HotlineError):
    """Base of everything `hotline.lists` raises."""


class ListFileError(ListsError):
    """A CSV file that cannot be imported (unreadable, no header, no `iin` column, ...).

    The message names the file.
    """


class UnknownListError(ListsError):
    """No recipients list has this name. The message names the list."""

    def __init__(self, list_name: str) -> None:
        super().__init__(f"no recipients list named {list_name!r}")
        self.list_name = list_name


class InvalidIinError(ListsError):
    """A looked-up IIN is not a valid IIN; `reason` is `validate_iin`'s code (no digits)."""

    def __init__(self, reason: IinReason) -> None:
        super().__init__(f"not a valid IIN ({reason})")
        self.reason = reason

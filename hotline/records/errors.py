"""Errors of the call records."""

from hotline.errors import HotlineError


class RecordsError(HotlineError):
    """Base of everything `hotline.records` raises."""


class InvalidRecordError(RecordsError):
    """A record that cannot be stored as given (e.g. a naive datetime)."""


class SpoolError(RecordsError):
    """Neither the database nor the spool file took a record: it would be lost."""

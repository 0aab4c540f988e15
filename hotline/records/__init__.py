"""hotline.records: one SQL row per finished call, spooled to a file when the DB is down."""

from hotline.records.errors import InvalidRecordError, RecordsError, SpoolError
from hotline.records.record import CallRecord, Outcome
from hotline.records.store import RecordStore

__all__ = [
    "CallRecord",
    "InvalidRecordError",
    "Outcome",
    "RecordStore",
    "RecordsError",
    "SpoolError",
]

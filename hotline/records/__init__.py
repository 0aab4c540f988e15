"""hotline.records: one SQL row per finished call, spooled to a file when the DB is down."""

from hotline.records.attempts import AttemptResult, CallbackAttempt
from hotline.records.errors import InvalidRecordError, RecordsError, SpoolError
from hotline.records.record import CallRecord, Outcome
from hotline.records.store import RecordStore

__all__ = [
    "AttemptResult",
    "CallRecord",
    "CallbackAttempt",
    "InvalidRecordError",
    "Outcome",
    "RecordStore",
    "RecordsError",
    "SpoolError",
]

"""Errors of the ACD, by who is at fault."""

from hotline.errors import HotlineError


class AcdError(HotlineError):
    """Base of everything `hotline.queue` raises."""


class InvalidAcdRequestError(AcdError):
    """The caller passed an id, priority or time the ACD cannot store."""


class AcdConflictError(AcdError):
    """An event contradicts the stored state, e.g. `answered` by an operator not offered it."""


class QueueFullError(AcdError):
    """`Acd.enqueue` refused a new call: its queue holds `max_waiting` waiting calls already.

    Nobody is at fault; the IVR offers the caller something else (a call-back, a later call).
    """

"""hotline.queue: the Redis ACD (waiting calls, operators, assignment in Lua)."""

from hotline.queue.acd import PRIORITY_MAX, Acd, Assignment
from hotline.queue.errors import AcdConflictError, AcdError, InvalidAcdRequestError
from hotline.queue.keys import CALL_TTL_S, AcdKeys

__all__ = [
    "CALL_TTL_S",
    "PRIORITY_MAX",
    "Acd",
    "AcdConflictError",
    "AcdError",
    "AcdKeys",
    "Assignment",
    "InvalidAcdRequestError",
]

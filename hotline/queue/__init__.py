"""hotline.queue: the Redis ACD (waiting calls, operators, assignment in Lua)."""

from hotline.queue.acd import (
    LEVEL_MAX,
    NO_ANSWER_PAUSE,
    PRIORITY_MAX,
    ROUTING_STRATEGIES,
    Acd,
    Assignment,
)
from hotline.queue.errors import (
    AcdConflictError,
    AcdError,
    InvalidAcdRequestError,
    QueueFullError,
)
from hotline.queue.keys import CALL_TTL_S, AcdKeys

__all__ = [
    "CALL_TTL_S",
    "LEVEL_MAX",
    "NO_ANSWER_PAUSE",
    "PRIORITY_MAX",
    "ROUTING_STRATEGIES",
    "Acd",
    "AcdConflictError",
    "AcdError",
    "AcdKeys",
    "Assignment",
    "InvalidAcdRequestError",
    "QueueFullError",
]

"""Call-back requests: a caller who would rather be called back than wait (the IVR's
call-back offer node) leaves one, kept in Redis under the hotline's hash tag.

Registration is idempotent per call-back id (the call id of the call that asked): a retry
after a lost reply never makes a second request, so the caller is never called twice for one
request. The request keeps the caller's place: its score is the one `Acd.enqueue` would give
(priority, then the original arrival time), with no boost.

Placing the call-backs (operator first, then the caller) is the ACD's work (issue 4); this
module only records the requests and lists them in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from redis.asyncio import Redis

from hotline.queue.acd import queue_score
from hotline.queue.keys import AcdKeys


@dataclass(frozen=True)
class CallbackRequest:
    callback_id: str
    number: str
    queue_id: str
    topic: str
    language: str
    priority: int
    requested_at_s: float


@cache
def _source() -> str:
    return (resources.files("hotline.queue") / "lua" / "callback_register.lua").read_text("utf-8")


class Callbacks:
    """The call-back requests of hotline `hotline_id` on an asyncio Redis client (not owned)."""

    def __init__(self, redis: Redis, hotline_id: str) -> None:
        self._redis = redis
        self._keys = AcdKeys(hotline_id)
        self._register = redis.register_script(_source())

    async def register(self, request: CallbackRequest, arrived_at: float) -> bool:
        """Record `request`; False if its id was registered before (nothing changes)."""
        if not request.number:
            raise ValueError("a call-back request needs the caller's number")
        score = queue_score(request.priority, arrived_at)
        added = await self._register(
            keys=[self._keys.callbacks],
            args=[
                self._keys.callback_prefix,
                request.callback_id,
                str(score),
                request.number,
                request.queue_id,
                request.topic,
                request.language,
                str(request.priority),
                repr(float(request.requested_at_s)),
            ],
        )
        return bool(added)

    async def pending(self) -> list[CallbackRequest]:
        """Every request not yet served, first to be called back first."""
        ids = await self._redis.zrange(self._keys.callbacks, 0, -1)
        requests = []
        for raw_id in ids:
            callback_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
            fields = await self._redis.hgetall(self._keys.callback_prefix + callback_id)
            if not fields:
                continue
            data = {
                (k.decode() if isinstance(k, bytes) else k): (
                    v.decode() if isinstance(v, bytes) else v
                )
                for k, v in fields.items()
            }
            requests.append(
                CallbackRequest(
                    callback_id=callback_id,
                    number=data["number"],
                    queue_id=data["queue_id"],
                    topic=data["topic"],
                    language=data["language"],
                    priority=int(data["priority"]),
                    requested_at_s=float(data["requested_at_s"]),
                )
            )
        return requests

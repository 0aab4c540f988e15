"""Call-back requests: a caller who would rather be called back than wait (the IVR's
call-back node) leaves one as an ACD entry of kind `callback` (`Acd.enqueue_callback`), at
the place of the call that asked (its original arrival, no boost). `assign` offers it to a
free operator like a call, and the dispatcher places it (`hotline.controller.callback_dialer`).

Before that, requests sat in a ZSET of their own (`AcdKeys.callbacks`) that nothing served;
`move_legacy_requests` moves any left there into the ACD, once, at start.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from hotline.queue.acd import PRIORITY_MAX, Acd

log = logging.getLogger(__name__)

#: A call-back entry's id is the asking call's id with this prefix: the ACD needs an id no
#: call has (the asking call may still have its own entry).
ENTRY_PREFIX = "cb-"
# The legacy score: (PRIORITY_MAX - priority) * _STEP + arrival in ms (`acd.queue_score`).
_STEP = 10**13


def callback_entry_id(call_id: str) -> str:
    """The ACD entry id of the call-back asked by call `call_id`."""
    return ENTRY_PREFIX + call_id


def asking_call_id(entry_id: str) -> str:
    """The id of the call that asked for call-back entry `entry_id`."""
    return entry_id.removeprefix(ENTRY_PREFIX)


async def move_legacy_requests(redis: Redis, acd: Acd) -> int:
    """Move the requests of the old call-back ZSET into the ACD (idempotent per request:
    `enqueue_callback` ignores an entry it has); how many were moved."""
    keys = acd.keys
    moved = 0
    for raw_id in await redis.zrange(keys.callbacks, 0, -1):
        callback_id = _text(raw_id)
        fields = {
            _text(k): _text(v)
            for k, v in (await redis.hgetall(keys.callback_prefix + callback_id)).items()
        }
        if fields:
            priority = int(fields["priority"])
            arrived_at = (float(fields["score"]) - (PRIORITY_MAX - priority) * _STEP) / 1000
            await acd.enqueue_callback(
                callback_entry_id(callback_id),
                fields["queue_id"],
                priority,
                arrived_at,
                fields["number"],
                fields["language"],
                fields["topic"],
                float(fields["requested_at_s"]),
            )
            moved += 1
        await redis.delete(keys.callback_prefix + callback_id)
        await redis.zrem(keys.callbacks, callback_id)
    if moved:
        log.info("moved %d call-back request(s) of %s into the ACD", moved, keys.hotline_id)
    return moved


def _text(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)

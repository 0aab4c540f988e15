"""Rebuilding the ACD after Redis lost its data (a restart without its append-only file, a
FLUSHALL): from what this controller tracks and what Asterisk says is on the line.

Detection: each controller adds its id to a marker set per hotline (`AcdKeys.alive`) at
start; the gauges loop checks it every few seconds, and so does a hold visit before it would
send an unknown caller to the duty group. A missing member means Redis lost the data.

The rebuild, once per detection, for this controller's calls only (each controller sharing
the Redis rebuilds its own):

- the operators: each shift keeper forgets who it logged in and logs in again everyone on
  shift. A tracked answered call whose caller's channel is still up is stored again as
  talking with its operator, who is put on it (`Acd.restore_talking`): no other call is
  offered to them, and the hang-up completes the call (wrap-up) as usual;
- the waiting callers: every tracked call enqueued, not answered and not being offered,
  whose channel is up, is enqueued again with its original enqueue time and priority, so
  it keeps its place. A call being offered (ringing) at the loss is enqueued again at its
  next hold visit (`recover`), after its ring ends; its operator may be offered another
  call meanwhile if they answer it (a known limit).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence

import redis.asyncio as redis

from hotline.ami.client import AmiClient
from hotline.config import HotlineConfig
from hotline.controller.shifts import ShiftKeeper
from hotline.controller.tracker import CallTracker, TrackedCall
from hotline.queue import Acd

log = logging.getLogger(__name__)


class RedisRebuild:
    """Detects a Redis data loss and rebuilds this controller's part of the ACD."""

    def __init__(
        self,
        redis_client: redis.Redis,
        hotlines: Mapping[str, HotlineConfig],
        acds: Mapping[str, Acd],
        tracker: CallTracker,
        ami: AmiClient,
        shift_keepers: Sequence[ShiftKeeper],
        controller_id: str,
        now: Callable[[], float],
        wake: Callable[[], None],
    ) -> None:
        self._redis = redis_client
        self._hotlines = hotlines
        self._acds = acds
        self._tracker = tracker
        self._ami = ami
        self._keepers = shift_keepers
        self._id = controller_id
        self._now = now
        self._wake = wake
        self._lock = asyncio.Lock()
        self.rebuilds = 0

    async def mark(self) -> None:
        """Set the marker (at start, and after a rebuild)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for acd in self._acds.values():
                pipe.sadd(acd.keys.alive, self._id)
            await pipe.execute()

    async def unmark(self) -> None:
        """Remove this controller from the markers (a clean stop)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for acd in self._acds.values():
                pipe.srem(acd.keys.alive, self._id)
            await pipe.execute()

    async def _lost(self) -> bool:
        async with self._redis.pipeline(transaction=False) as pipe:
            for acd in self._acds.values():
                pipe.sismember(acd.keys.alive, self._id)
            present = await pipe.execute()
        return not all(present)

    async def check(self) -> bool:
        """Rebuild if Redis lost its data; True if a rebuild ran."""
        if not await self._lost():
            return False
        async with self._lock:
            if not await self._lost():
                return False  # rebuilt meanwhile (a hold visit, the periodic check)
            await self._rebuild()
            return True

    async def recover(self, call: TrackedCall) -> bool:
        """A hold visit of `call`, tracked here but unknown to the ACD: rebuild if Redis
        lost its data, and enqueue the call again at its place if it still is not there.
        False if the call cannot wait (never enqueued, or answered)."""
        if call.enqueued_at is None or call.answered_at is not None or call.queue_id is None:
            return False
        await self.check()
        acd = self._acds[call.hotline_id]
        if await acd.call(call.call_id) is None:
            await self._enqueue_again(call)
            self._wake()
        return True

    async def _rebuild(self) -> None:
        channels = await self._ami.core_show_channels()
        live = {m.get("Uniqueid") or "" for m in channels}
        calls = sorted(self._tracker.calls(), key=lambda c: (c.enqueued_at or 0.0, c.call_id))
        talking = [
            c
            for c in calls
            if c.answered_at is not None
            and c.operator_id is not None
            and c.queue_id is not None
            and c.uniqueid in live
        ]
        # Operators first, while no call waits in the emptied ACD: the dispatcher cannot
        # offer a caller to a talking operator between the login and the restore.
        for keeper in self._keepers:
            await keeper.forget_and_apply()
        restored = 0
        for call in talking:
            restored += await self._restore_talking(call)
        waiting = [
            c
            for c in calls
            if c.enqueued_at is not None
            and c.queue_id is not None
            and c.answered_at is None
            and c.operator_id is None
            and c.uniqueid in live
        ]
        for call in waiting:
            if self._tracker.by_call_id(call.call_id) is call:  # not ended meanwhile
                await self._enqueue_again(call)
        await self.mark()
        self.rebuilds += 1
        logged_in = sum(len(k.logged_in) for k in self._keepers)
        log.warning(
            "Redis lost its data: rebuilt %d operators logged in (%d on their call), "
            "%d waiting callers",
            logged_in,
            restored,
            len(waiting),
        )
        self._wake()

    async def _enqueue_again(self, call: TrackedCall) -> None:
        assert call.enqueued_at is not None
        assert call.queue_id is not None
        hotline = self._hotlines[call.hotline_id]
        await self._acds[call.hotline_id].enqueue(
            call.call_id,
            call.queue_id,
            call.priority or 0,
            call.enqueued_at,
            call.channel,
            call.uniqueid,
            call.language or hotline.default_language,
            call.topic or "",
            owner=self._id,
        )
        log.info("call %s enqueued again at its place after a Redis loss", call.call_id)

    async def _restore_talking(self, call: TrackedCall) -> bool:
        assert call.operator_id is not None
        assert call.answered_at is not None
        assert call.queue_id is not None
        hotline = self._hotlines[call.hotline_id]
        enqueued_at = call.answered_at if call.enqueued_at is None else call.enqueued_at
        restored = await self._acds[call.hotline_id].restore_talking(
            call.call_id,
            call.queue_id,
            call.priority or 0,
            enqueued_at,
            call.channel,
            call.uniqueid,
            call.language or hotline.default_language,
            call.topic or "",
            call.operator_id,
            call.answered_at,
            owner=self._id,
        )
        if not restored:
            log.info("call %s: operator %s not put back on it", call.call_id, call.operator_id)
        return restored

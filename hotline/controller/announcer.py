"""Telling a waiting caller their place in the queue and the expected wait.

Said right after the enqueue (in the FastAGI session that enqueued the caller, so the first
news comes before the hold music, not a hold period later) and again at every hold visit,
that is every `hold_announce_s`. At the enqueue it is left out when an available operator
will be offered the call at once (fewer callers ahead than available operators): the phone
is about to ring, and a Redirect would cut the announcement short anyway.

The first announcement that gives a number is kept on the call (`predicted_wait_s`,
`predicted_at`) so that the call record can measure its error.

An announcement is a courtesy: a Redis or AGI error is logged and the caller simply keeps
waiting; only a hangup (or a Redirect to an operator) ends it, as `AgiHangup`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from redis.asyncio import Redis

from hotline.agi.protocol import AgiHangup
from hotline.agi.session import AgiSession
from hotline.agi.sounds import BARGE_IN_DIGITS, prompt_file
from hotline.clock import Clock
from hotline.config import HotlineConfig
from hotline.config.schema import DEFAULT_AHT_S
from hotline.controller.tracker import TrackedCall
from hotline.ivr.hold_announcement import hold_announcement
from hotline.ivr.speech import Language
from hotline.queue import Acd
from hotline.queue.estimate import WaitRange, estimate_wait
from hotline.queue.figures import QueueFigures

log = logging.getLogger(__name__)


class WaitAnnouncer:
    """Plays the position-and-wait announcement to a caller waiting in a hotline's queue."""

    def __init__(self, redis: Redis, acds: Mapping[str, Acd], clock: Clock) -> None:
        self._redis = redis
        self._acds = acds
        self._clock = clock

    async def announce(
        self,
        session: AgiSession,
        hotline: HotlineConfig,
        call: TrackedCall,
        *,
        entry: bool,
        figures: QueueFigures | None = None,
    ) -> None:
        """Tell `call` where it is and how long it may wait; `entry`: just enqueued.
        `figures`: the visit's reads of the call's place and the queue's staffing, shared
        with the overflow rules (None: read here)."""
        queue_id = call.queue_id
        if session.dead or queue_id is None:
            return
        if figures is None:
            figures = QueueFigures(self._acds[hotline.id], call.call_id)
        try:
            prompts = await self._prompts(hotline, call, queue_id, entry, figures)
        except AgiHangup:
            raise
        except Exception as exc:
            log.warning("call %s: no wait announcement: %s", call.call_id, exc)
            return
        language = _language(hotline, call)
        try:
            for prompt in prompts:
                played = await session.stream_file(prompt_file(prompt, language), BARGE_IN_DIGITS)
                if played.digit:
                    return  # the caller has heard enough
        except AgiHangup:
            raise
        except Exception as exc:
            log.warning("call %s: wait announcement cut short: %s", call.call_id, exc)

    async def _prompts(
        self,
        hotline: HotlineConfig,
        call: TrackedCall,
        queue_id: str,
        entry: bool,
        figures: QueueFigures,
    ) -> list[str]:
        """The prompt ids to play (none if the call no longer waits); records the first
        numeric prediction on `call`."""
        now = await figures.of(queue_id)
        staffing, position = now.staffing, now.position
        if position is None:
            return []  # offered to an operator, or over
        ahead = position - 1
        if entry and ahead < staffing.available:
            return []
        wait = estimate_wait(ahead, staffing.on_shift, _aht_s(hotline, queue_id))
        if wait is not None and call.predicted_wait_s is None:
            call.predicted_wait_s = wait.midpoint_s
            call.predicted_at = self._clock.now()
        log.debug(
            "call %s: position %d, %d operator(s) on shift, wait %s",
            call.call_id,
            position,
            staffing.on_shift,
            _said(wait),
        )
        return hold_announcement(position, _bounds(wait), _language(hotline, call))


def _aht_s(hotline: HotlineConfig, queue_id: str) -> int:
    for queue in hotline.queues:
        if queue.id == queue_id:
            return queue.aht_s
    return DEFAULT_AHT_S  # the queue left the configuration (a reload) while callers wait


def _language(hotline: HotlineConfig, call: TrackedCall) -> Language:
    """The caller's language if the hotline speaks it, else the hotline's first one."""
    for language in hotline.languages:
        if language == call.language:
            return language
    return hotline.default_language


def _bounds(wait: WaitRange | None) -> tuple[int, int] | None:
    return None if wait is None else (wait.low_s, wait.high_s)


def _said(wait: WaitRange | None) -> str:
    if wait is None:
        return "unknown (nobody on shift)"
    return f"{wait.low_s}-{wait.high_s} s"

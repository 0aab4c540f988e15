"""Applying a queue's overflow rules to a waiting caller (see hotline.config.overflow).

Checked when the caller enters the queue and at every hold visit, in the FastAGI session of
that moment. The situation is read from Redis (waiting callers of the queue, its operators
logged in); the first rule that holds and was not applied to this call yet acts:

- widen: the call moves to the wider queue at its original place (`Acd.move`); it waits on.
- bilingual: the same, to the topic's cross-language queue (only `bilingual` operators).
- callback: the caller hears the offer and may press 1: the call-back keeps their place
  (the hotline's call-back registration, `register_callback`); any other answer: they wait on.
- message: the caller hears the rule's prompt in their language, leaves the queue, and goes
  to the duty group (`then: fallback`) or the call ends (`then: hangup`); recorded
  `overflowed`.

At closing time (`closing` of the hotline; hours or a holiday), callers still waiting get
the hotline's closing action at their next visit, once: served anyway, a call-back offer, or
a message and then the duty group or the end of the call (recorded `overflowed`).

A failure to read the situation is logged and the caller simply waits on: an overflow rule
is a relief valve, never a reason to lose a caller.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

from redis.asyncio import Redis

from hotline.agi.protocol import AgiHangup
from hotline.agi.session import AgiSession
from hotline.agi.sounds import prompt_file
from hotline.clock import Clock
from hotline.config import HotlineConfig
from hotline.config.overflow import OverflowRule, bilingual_queue
from hotline.controller.tracker import CallTracker, TrackedCall
from hotline.metrics import HotlineMetrics
from hotline.queue import Acd
from hotline.queue.figures import QueueFigures
from hotline.queue.overflow import QueueSituation, first_overflow
from hotline.records import Outcome
from hotline.shifts import is_open

log = logging.getLogger(__name__)

CALLBACK_OFFER_PROMPT = "overflow-callback-offer"
# The closing action's mark in `TrackedCall.overflow_done` (queue rules count from 0).
CLOSING = -1
# How long the caller has to press 1 after the call-back offer.
CALLBACK_OFFER_WAIT_MS = 6000

RegisterCallback = Callable[[AgiSession, HotlineConfig, TrackedCall], Awaitable[bool]]


class OverflowRules:
    """Checks and applies the overflow rules of the caller's queue."""

    def __init__(
        self,
        redis: Redis,
        acds: Mapping[str, Acd],
        tracker: CallTracker,
        clock: Clock,
        on_change: Callable[[], None],
        metrics: HotlineMetrics | None = None,
    ) -> None:
        self._redis = redis
        self._acds = acds
        self._tracker = tracker
        self._clock = clock
        self._on_change = on_change
        self._metrics = metrics

    async def check(
        self,
        session: AgiSession,
        hotline: HotlineConfig,
        call: TrackedCall,
        register_callback: RegisterCallback,
        figures: QueueFigures | None = None,
    ) -> bool:
        """Apply the first rule that holds; True when the caller has left the queue (the
        session's HOTLINE_NEXT says where to), False when they wait on. `register_callback`
        turns the waiting call into a call-back request at its place (True if it did).
        `figures`: the visit's reads of the call's place and the queue's staffing, shared
        with the wait announcement (None: read here)."""
        if figures is None:
            figures = QueueFigures(self._acds[hotline.id], call.call_id)
        if await self._closing_due(hotline, call, figures):
            return await self._closing(session, hotline, call, register_callback)
        found = await self._due_rule(hotline, call, figures)
        if found is None:
            return False
        index, rule = found
        call.overflow_done.add(index)
        log.info("call %s: overflow rule %d of %s: %s", call.call_id, index, call.queue_id, rule)
        if self._metrics is not None:
            self._metrics.overflow(hotline.id, rule.action)
        if rule.action in ("widen", "bilingual"):
            await self._widen(hotline, call, rule)
            return False
        if rule.action == "callback":
            return await self._offer_callback(session, hotline, call, register_callback)
        assert rule.prompt is not None  # the rule's validator
        await self._message(session, hotline, call, rule.prompt, rule.then)
        return True

    async def _closing_due(
        self, hotline: HotlineConfig, call: TrackedCall, figures: QueueFigures
    ) -> bool:
        """The hotline has closed since this caller joined the queue, and its closing
        action has not been applied to them yet."""
        if hotline.closing.action == "serve" or CLOSING in call.overflow_done:
            return False
        if call.enqueued_at is None or call.queue_id is None:
            return False
        if is_open(hotline, self._clock.now()):
            return False
        try:
            return (await figures.of(call.queue_id)).position is not None
        except Exception as exc:
            log.warning("call %s: closing action not checked: %s", call.call_id, exc)
            return False

    async def _closing(
        self,
        session: AgiSession,
        hotline: HotlineConfig,
        call: TrackedCall,
        register_callback: RegisterCallback,
    ) -> bool:
        call.overflow_done.add(CLOSING)
        closing = hotline.closing
        log.info("call %s: still waiting at closing time: %s", call.call_id, closing.action)
        if closing.action == "callback":
            return await self._offer_callback(session, hotline, call, register_callback)
        assert closing.prompt is not None  # the model's validator
        await self._message(session, hotline, call, closing.prompt, closing.then)
        return True

    async def _due_rule(
        self, hotline: HotlineConfig, call: TrackedCall, figures: QueueFigures
    ) -> tuple[int, OverflowRule] | None:
        queue = next((q for q in hotline.queues if q.id == call.queue_id), None)
        if queue is None or not queue.overflow or call.enqueued_at is None:
            return None
        acd = self._acds[hotline.id]
        try:
            now = await figures.of(queue.id)
            if now.position is None:
                return None  # offered to an operator meanwhile, or over
            staffing = now.staffing
            waiting = await acd.waiting_count(queue.id)
        except Exception as exc:
            log.warning("call %s: overflow rules not checked: %s", call.call_id, exc)
            return None
        situation = QueueSituation(
            waited_s=self._clock.now() - call.enqueued_at,
            waiting=waiting,
            logged_in=staffing.on_shift,
        )
        pending = [
            (index, rule)
            for index, rule in enumerate(queue.overflow)
            if index not in call.overflow_done
        ]
        found = first_overflow([rule for _, rule in pending], situation)
        return None if found is None else pending[found[0]]

    async def _widen(self, hotline: HotlineConfig, call: TrackedCall, rule: OverflowRule) -> None:
        if rule.action == "bilingual":
            target = bilingual_queue(call.topic or "")
        else:
            assert rule.queue is not None  # the rule's validator
            target = rule.queue
        moved = await self._acds[hotline.id].move(call.call_id, target)
        if moved == target:
            call.queue_id = target
            self._on_change()

    async def _offer_callback(
        self,
        session: AgiSession,
        hotline: HotlineConfig,
        call: TrackedCall,
        register_callback: RegisterCallback,
    ) -> bool:
        language = call.language or hotline.default_language
        try:
            played = await session.stream_file(
                prompt_file(CALLBACK_OFFER_PROMPT, language), "0123456789*#"
            )
            digit = played.digit or await session.wait_for_digit(CALLBACK_OFFER_WAIT_MS)
        except AgiHangup:
            raise
        except Exception as exc:
            log.warning("call %s: call-back offer cut short: %s", call.call_id, exc)
            return False
        if digit != "1":
            return False
        return await register_callback(session, hotline, call)

    async def _message(
        self,
        session: AgiSession,
        hotline: HotlineConfig,
        call: TrackedCall,
        prompt: str,
        then: str,
    ) -> None:
        language = call.language or hotline.default_language
        # Out of the queue first: no operator may be offered a caller who is leaving.
        await self._acds[hotline.id].cancel(call.call_id, self._clock.now())
        # A hang-up during the message: the record below still says why they left.
        with contextlib.suppress(AgiHangup):
            await session.stream_file(prompt_file(prompt, language))
        await self._tracker.finish(call, Outcome.OVERFLOWED)
        if not session.dead:
            where = "fallback" if then == "fallback" else "hangup"
            await session.set_variable("HOTLINE_NEXT", where)

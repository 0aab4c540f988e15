"""The FastAGI `hold` script: a short visit between two stretches of hold music.

Is the caller still expected (the ACD has the call, or it can be adopted or recovered)? Then
the overflow rules, and the caller's place and expected wait, from one read of the caller's
place and the queue's staffing (`hotline.queue.figures`). Also here: a waiting caller who
accepts a call-back (an overflow rule's offer, at a hold visit or right after the enqueue).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

from hotline.agi.protocol import AgiHangup
from hotline.agi.session import AgiSession
from hotline.agi.sounds import prompt_file
from hotline.clock import Clock
from hotline.config import HotlineConfig
from hotline.config.callbacks import NUMBER_RE
from hotline.controller.adoption import adopted_call
from hotline.controller.announcer import WaitAnnouncer
from hotline.controller.overflow import OverflowRules
from hotline.controller.tracker import CallTracker, TrackedCall
from hotline.queue import Acd
from hotline.queue.callbacks import callback_entry_id
from hotline.queue.figures import QueueFigures
from hotline.queue.inventory import StoredCall
from hotline.records import Outcome

log = logging.getLogger("hotline.controller.agi_handlers")

#: Takes over a call the ACD has in progress (hotline id, the stored call, the caller's
#: number): the adopted call, or None when another controller that is alive owns it
#: (`Dispatcher.adopt`).
Adopter = Callable[[str, StoredCall, str], Awaitable[TrackedCall | None]]

#: A hold visit of a call this controller tracks but the ACD does not know (Redis lost its
#: data): puts it back at its place; False if it cannot wait (`RedisRebuild.recover`).
Recoverer = Callable[[TrackedCall], Awaitable[bool]]

# Said to a waiting caller who accepted a call-back (an overflow rule's offer); the menu's
# call-back nodes say the same.
CALLBACK_CONFIRMED_PROMPT = "callback-confirmed"


def hotline_of(hotlines: Mapping[str, HotlineConfig], session: AgiSession) -> HotlineConfig:
    """The hotline a FastAGI script runs for (its first argument)."""
    hotline_id = session.env.args[0] if session.env.args else ""
    hotline = hotlines.get(hotline_id)
    if hotline is None:
        # Raising makes the FastAGI server send the caller to the fallback group.
        raise LookupError(f"no hotline {hotline_id!r} configured (agi_arg_1)")
    return hotline


class WaitingCallback:
    """Turns a waiting call into a call-back request at its place (the overflow rules'
    `RegisterCallback`)."""

    def __init__(
        self,
        acds: Mapping[str, Acd],
        tracker: CallTracker,
        clock: Clock,
        on_enqueued: Callable[[], None],
    ) -> None:
        self._acds = acds
        self._tracker = tracker
        self._clock = clock
        self._on_enqueued = on_enqueued

    async def __call__(
        self, session: AgiSession, hotline: HotlineConfig, call: TrackedCall
    ) -> bool:
        """A waiting caller accepted a call-back (an overflow rule's offer): the request takes
        the call's very place in the queue (its enqueue time and priority), the call leaves
        the queue and ends as `callback`. False (they wait on) without a number to call."""
        acd = self._acds[hotline.id]
        stored = await acd.call(call.call_id)
        if (
            not NUMBER_RE.match(call.caller or "")
            or stored is None
            or call.queue_id is None
            or call.enqueued_at is None
        ):
            log.warning("call %s: call-back accepted but not possible: waits on", call.call_id)
            return False
        now = self._clock.now()
        await acd.cancel(call.call_id, now)
        await acd.enqueue_callback(
            callback_entry_id(call.call_id),
            call.queue_id,
            int(stored.get("priority") or 0),
            call.enqueued_at,
            call.caller,
            call.language or hotline.default_language,
            call.topic or stored.get("topic", ""),
            now,
        )
        self._on_enqueued()
        with contextlib.suppress(AgiHangup):
            await session.stream_file(
                prompt_file(CALLBACK_CONFIRMED_PROMPT, call.language or hotline.default_language)
            )
        await self._tracker.finish(call, Outcome.CALLBACK)
        if not session.dead:
            await session.set_variable("HOTLINE_NEXT", "hangup")
        return True


class HoldVisit:
    """The `hold` FastAGI handler."""

    def __init__(
        self,
        hotlines: Mapping[str, HotlineConfig],
        acds: Mapping[str, Acd],
        tracker: CallTracker,
        register_callback: WaitingCallback,
        announcer: WaitAnnouncer | None,
        overflow: OverflowRules | None,
        *,
        adopt: Adopter | None,
        recover: Recoverer | None,
    ) -> None:
        self._hotlines = hotlines
        self._acds = acds
        self._tracker = tracker
        self._register_callback = register_callback
        self._announcer = announcer
        self._overflow = overflow
        self._adopter = adopt
        self._recover = recover

    async def hold(self, session: AgiSession) -> None:
        """A visit between two stretches of hold music: is the caller still expected?"""
        hotline = hotline_of(self._hotlines, session)
        call_id = session.env.args[1] if len(session.env.args) > 1 else ""
        state = await self._acds[hotline.id].call(call_id)
        tracked = self._tracker.by_call_id(call_id)
        # Tracked here but unknown to the ACD: Redis lost its data. The caller keeps waiting
        # at their place (`hotline.controller.rebuild`).
        if (
            state is None
            and tracked is not None
            and self._recover is not None
            and await self._recover(tracked)
        ):
            state = await self._acds[hotline.id].call(call_id)
        if state is None or (
            self._tracker.by_call_id(call_id) is None
            and not await self._adopt(hotline, session, state)
        ):
            # Neither the controller nor the ACD knows this caller (e.g. Redis lost it): a
            # person takes the call rather than leaving it on hold forever.
            log.warning("hold visit for unknown call %r: sending it to the fallback", call_id)
            await session.set_variable("HOTLINE_NEXT", "fallback")
            return
        await session.set_variable("HOTLINE_HOLD_S", str(hotline.hold_announce_s))
        await session.set_variable("HOTLINE_NEXT", "hold")
        # Every hold visit (every hold_announce_s): the overflow rules, then the caller's
        # place and expected wait.
        waiting = self._tracker.by_call_id(call_id)
        if waiting is None:
            return
        # One read of the caller's place and the queue's staffing for both.
        figures = QueueFigures(self._acds[hotline.id], waiting.call_id)
        if self._overflow is not None and await self._overflow.check(
            session, hotline, waiting, self._register_callback, figures
        ):
            return
        if self._announcer is not None:
            await self._announcer.announce(session, hotline, waiting, entry=False, figures=figures)

    async def _adopt(
        self, hotline: HotlineConfig, session: AgiSession, state: dict[str, str]
    ) -> bool:
        """A caller waiting since before this controller started (see
        `hotline.controller.adoption`), or another controller's: take the call over if the
        ACD has it in progress on this very channel and it is free to take; it keeps its
        place and waits on. Owned by another controller that is alive: it waits on, and that
        controller follows it. False: not a call the ACD has waiting here."""
        stored = StoredCall.from_hash(state)
        if stored is None or not stored.in_progress or stored.uniqueid != session.env.uniqueid:
            return False
        if self._adopter is None:
            call = self._tracker.adopt(adopted_call(hotline.id, stored, session.env.callerid))
        else:
            adopted = await self._adopter(hotline.id, stored, session.env.callerid)
            if adopted is None:
                log.info("call %s waits on: another controller follows it", stored.call_id)
                return True
            call = adopted
        log.info("call %s adopted at a hold visit (%s)", call.call_id, stored.state)
        return True

"""The FastAGI scripts of the dialplan contract: `ivr` (the menu) and `hold` (a visit between
two stretches of music on hold).

These are the thin drivers around the pure IVR machine: they turn its actions into AGI
commands and AGI answers into its events. They are the only IVR code that awaits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from hotline.agi.protocol import AgiHangup
from hotline.agi.session import AgiSession
from hotline.clock import Clock
from hotline.config import HotlineConfig
from hotline.controller.tracker import CallTracker, TrackedCall
from hotline.ivr.actions import Action, CollectDigits, Enqueue, Finish, Hangup, Play
from hotline.ivr.events import CallerHungUp, DigitsEntered, Event, NoInput, PlayFinished
from hotline.ivr.machine import IvrMachine, State
from hotline.queue import Acd
from hotline.queue.mode import EMERGENCY
from hotline.records import Outcome
from hotline.shifts import is_open

log = logging.getLogger(__name__)

# Any key may interrupt a prompt: a caller who knows the menu should not have to listen.
_BARGE_IN_DIGITS = "0123456789*#"


def prompt_file(prompt: str, language: str) -> str:
    """The Asterisk sound name of a prompt: prompts/ is installed as sounds/hotline."""
    return f"hotline/{language}/{prompt}"


class IvrScripts:
    """The `ivr` and `hold` FastAGI handlers for a set of hotlines."""

    def __init__(
        self,
        hotlines: Mapping[str, HotlineConfig],
        acds: Mapping[str, Acd],
        tracker: CallTracker,
        clock: Clock,
        on_enqueued: Callable[[], None],
    ) -> None:
        self._hotlines = hotlines
        self._clock = clock
        self._acds = acds
        self._tracker = tracker
        self._on_enqueued = on_enqueued

    def _hotline(self, session: AgiSession) -> HotlineConfig:
        hotline_id = session.env.args[0] if session.env.args else ""
        hotline = self._hotlines.get(hotline_id)
        if hotline is None:
            # Raising makes the FastAGI server send the caller to the fallback group.
            raise LookupError(f"no hotline {hotline_id!r} configured (agi_arg_1)")
        return hotline

    async def ivr(self, session: AgiSession) -> None:
        hotline = self._hotline(session)
        env = session.env
        call = self._tracker.start(hotline.id, env.uniqueid, env.channel, env.callerid)
        try:
            await self._run_menu(session, hotline, call)
        except Exception:
            # The FastAGI server now sends the caller to the fallback group. If the failure
            # came after the ACD took the call (a lost Redis reply, a failed SET VARIABLE),
            # the dispatcher would offer it to an operator and Redirect the caller out of
            # the duty group's call: withdraw it, and let the record say `failed` (it did
            # not wait in a queue) rather than `abandoned`.
            if call.enqueued_at is not None:
                call.enqueued_at = None
                try:
                    await self._acds[hotline.id].cancel(call.call_id, self._clock.now())
                except Exception as exc:
                    log.warning(
                        "call %s: could not withdraw it from the queue: %s", call.call_id, exc
                    )
            raise

    async def _run_menu(
        self, session: AgiSession, hotline: HotlineConfig, call: TrackedCall
    ) -> None:
        # Decided once, when the call arrives: a caller already in the menu at closing time
        # is still served, and a change of mode applies to new callers only.
        emergency = await self._emergency(hotline, call)
        machine = IvrMachine(
            hotline, open_now=is_open(hotline, call.arrived_at), emergency=emergency
        )
        action = machine.start()
        while True:
            try:
                event = await self._perform(session, hotline, call, action)
            except AgiHangup:
                if machine.state is State.DONE:
                    # The terminal action itself met the hangup. The machine would only hand
                    # it back, and once Asterisk has closed the session every command fails
                    # at once: retrying would spin for ever (re-enqueueing in Redis each
                    # time). Stop here; the AMI Hangup (or the resync) ends the call.
                    return
                event = CallerHungUp()
            if event is None:
                return
            action = machine.handle(event)
            call.language = machine.language
            call.topic = machine.topic

    async def _emergency(self, hotline: HotlineConfig, call: TrackedCall) -> bool:
        """Whether the hotline is in emergency mode: one Redis GET per call. A Redis error
        must not drop the caller: it is logged and the call takes the normal menu."""
        if hotline.menu.emergency is None:
            return False
        try:
            return await self._acds[hotline.id].mode() == EMERGENCY
        except Exception as exc:
            log.warning(
                "call %s: cannot read the mode of hotline %s (%s): normal menu",
                call.call_id,
                hotline.id,
                exc,
            )
            return False

    async def _perform(
        self, session: AgiSession, hotline: HotlineConfig, call: TrackedCall, action: Action
    ) -> Event | None:
        """Run one action; the event it produced, or None when the menu is over."""
        if isinstance(action, Play):
            played = await session.stream_file(
                prompt_file(action.prompt, action.language), _BARGE_IN_DIGITS
            )
            return DigitsEntered(played.digit) if played.digit else PlayFinished()
        if isinstance(action, CollectDigits):
            got = await session.get_data(
                prompt_file(action.prompt, action.language),
                int(action.timeout_s * 1000),
                action.max_digits,
            )
            return DigitsEntered(got.digits) if got.digits else NoInput()
        if isinstance(action, Enqueue):
            await self._enqueue(session, hotline, call, action)
            return None
        if isinstance(action, Hangup):
            if action.prompt is not None:
                await session.stream_file(prompt_file(action.prompt, action.language))
            await session.set_variable("HOTLINE_NEXT", "hangup")
            await self._tracker.finish(call, Outcome.SELF_SERVED)
            return None
        if isinstance(action, Finish):
            # `closed` (outside opening hours, the hours were said) as much as `self_served`
            # or `abandoned`: no queue, the dialplan hangs up.
            await self._tracker.finish(call, Outcome(action.outcome))
            if not session.dead:
                await session.set_variable("HOTLINE_NEXT", "hangup")
            return None
        raise TypeError(f"unknown IVR action {action!r}")

    async def _enqueue(
        self, session: AgiSession, hotline: HotlineConfig, call: TrackedCall, action: Enqueue
    ) -> None:
        now = self._clock.now()
        call.queue_id = action.queue_id
        call.enqueued_at = now
        await self._acds[hotline.id].enqueue(
            call.call_id,
            action.queue_id,
            action.priority,
            now,
            call.channel,
            call.uniqueid,
            action.language,
            action.topic,
        )
        await session.set_variable("HOTLINE_CALL_ID", call.call_id)
        await session.set_variable("HOTLINE_HOLD_S", str(hotline.hold_announce_s))
        await session.set_variable("HOTLINE_NEXT", "hold")
        self._on_enqueued()

    async def hold(self, session: AgiSession) -> None:
        """A visit between two stretches of hold music: is the caller still expected?"""
        hotline = self._hotline(session)
        call_id = session.env.args[1] if len(session.env.args) > 1 else ""
        state = await self._acds[hotline.id].call(call_id)
        if state is None or self._tracker.by_call_id(call_id) is None:
            # The controller does not know this caller (e.g. it lost its state): a person
            # takes the call rather than leaving it on hold forever.
            log.warning("hold visit for unknown call %r: sending it to the fallback", call_id)
            await session.set_variable("HOTLINE_NEXT", "fallback")
            return
        await session.set_variable("HOTLINE_HOLD_S", str(hotline.hold_announce_s))
        await session.set_variable("HOTLINE_NEXT", "hold")

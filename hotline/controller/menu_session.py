"""The FastAGI scripts of a caller's menu: `ivr` (the menu) and `ivr-result` (the end of a
menu run by the classic AGI script).

The thin driver around the pure IVR machine: it turns its actions into AGI commands and AGI
answers into its events, and is the only IVR code that awaits. A menu ends by queueing the
caller (then the overflow rules and the first news of their place, see
`hotline.controller.hold_visit` for the visits that follow), a call-back request, or a record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping

from hotline.agi.protocol import AgiHangup
from hotline.agi.session import AgiSession
from hotline.agi.sounds import BARGE_IN_DIGITS, prompt_file
from hotline.clock import Clock
from hotline.config import HotlineConfig
from hotline.config.callbacks import NUMBER_RE
from hotline.controller.announcer import WaitAnnouncer
from hotline.controller.hold_visit import WaitingCallback, hotline_of
from hotline.controller.overflow import OverflowRules
from hotline.controller.tracker import CallTracker, TrackedCall
from hotline.ivr.actions import (
    Action,
    Callback,
    CollectDigits,
    Enqueue,
    Finish,
    Hangup,
    Lookup,
    Play,
)
from hotline.ivr.events import (
    CallerHungUp,
    DigitsEntered,
    Event,
    LookupDone,
    NoInput,
    PlayFinished,
)
from hotline.ivr.machine import IvrMachine, State
from hotline.queue import Acd, QueueFullError
from hotline.queue.callbacks import callback_entry_id
from hotline.queue.figures import QueueFigures
from hotline.queue.mode import EMERGENCY
from hotline.records import Outcome
from hotline.selfservice import SelfService
from hotline.shifts import is_open

log = logging.getLogger("hotline.controller.agi_handlers")

# Said to a caller refused by a full queue (`max_waiting`) on their way to the duty group.
QUEUE_FULL_PROMPT = "overflow-no-operators"


class MenuScripts:
    """The `ivr` and `ivr-result` FastAGI handlers."""

    def __init__(
        self,
        hotlines: Mapping[str, HotlineConfig],
        acds: Mapping[str, Acd],
        tracker: CallTracker,
        clock: Clock,
        on_enqueued: Callable[[], None],
        register_callback: WaitingCallback,
        selfservice: SelfService | None,
        announcer: WaitAnnouncer | None,
        overflow: OverflowRules | None,
        *,
        controller_id: str,
    ) -> None:
        self._hotlines = hotlines
        self._acds = acds
        self._tracker = tracker
        self._clock = clock
        self._on_enqueued = on_enqueued
        self._register_callback = register_callback
        self._selfservice = selfservice
        self._announcer = announcer
        self._overflow = overflow
        self._controller_id = controller_id

    async def ivr(self, session: AgiSession) -> None:
        hotline = hotline_of(self._hotlines, session)
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
        _note(call, machine)
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
            _note(call, machine)

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
                prompt_file(action.prompt, action.language), BARGE_IN_DIGITS
            )
            return DigitsEntered(played.digit) if played.digit else PlayFinished()
        if isinstance(action, CollectDigits):
            got = await session.get_data(
                prompt_file(action.prompt, action.language),
                int(action.timeout_s * 1000),
                action.max_digits,
            )
            return DigitsEntered(got.digits) if got.digits else NoInput()
        if isinstance(action, Lookup):
            return LookupDone(await self._lookup(hotline, action))
        if isinstance(action, Enqueue):
            await self._enqueue(session, hotline, call, action)
            return None
        if isinstance(action, Callback):
            await self._callback(session, hotline, call, action)
            return None
        if isinstance(action, Hangup):
            if action.prompt is not None:
                await session.stream_file(prompt_file(action.prompt, action.language))
            await session.set_variable("HOTLINE_NEXT", "hangup")
            await self._tracker.finish(call, Outcome(action.outcome))
            return None
        if isinstance(action, Finish):
            # `closed` (outside opening hours, the hours were said) as much as `self_served`
            # or `abandoned` (in the menu: the record names the node): no queue, hang up.
            call.ivr_node = action.node
            await self._tracker.finish(call, Outcome(action.outcome))
            if not session.dead:
                await session.set_variable("HOTLINE_NEXT", "hangup")
            return None
        raise TypeError(f"unknown IVR action {action!r}")

    async def _lookup(self, hotline: HotlineConfig, action: Lookup) -> str:
        if self._selfservice is None:
            log.warning("self-service look-up asked but no database is configured")
            return "error"
        # SQL is synchronous: a thread keeps the other calls moving. lookup() never raises.
        return await asyncio.to_thread(self._selfservice.lookup, action, hotline.id)

    async def _callback(
        self, session: AgiSession, hotline: HotlineConfig, call: TrackedCall, action: Callback
    ) -> None:
        """Queue the call-back request in the ACD and end the call; without a caller number
        there is nobody to call back: the caller waits for an operator instead."""
        if not NUMBER_RE.match(call.caller or ""):
            log.warning("call %s: call-back asked without a number: queued", call.call_id)
            enqueue = Enqueue(action.queue_id, action.topic, action.language, action.priority)
            await self._enqueue(session, hotline, call, enqueue)
            return
        # The request waits in the ACD at the call's own arrival: a retry (same call id)
        # changes nothing, so nobody is called back twice for one request.
        await self._acds[hotline.id].enqueue_callback(
            callback_entry_id(call.call_id),
            action.queue_id,
            action.priority,
            call.arrived_at,
            call.caller,
            action.language,
            action.topic,
            self._clock.now(),
        )
        self._on_enqueued()
        call.queue_id = action.queue_id
        await self._tracker.finish(call, Outcome.CALLBACK)
        if not session.dead:
            await session.set_variable("HOTLINE_NEXT", "hangup")

    async def _enqueue(
        self, session: AgiSession, hotline: HotlineConfig, call: TrackedCall, action: Enqueue
    ) -> None:
        now = self._clock.now()
        call.queue_id = action.queue_id
        call.enqueued_at = now
        call.priority = action.priority
        queue = next((q for q in hotline.queues if q.id == action.queue_id), None)
        try:
            await self._acds[hotline.id].enqueue(
                call.call_id,
                action.queue_id,
                action.priority,
                now,
                call.channel,
                call.uniqueid,
                action.language,
                action.topic,
                max_waiting=None if queue is None else queue.max_waiting,
                owner=self._controller_id,
            )
        except QueueFullError:
            await self._refuse_full_queue(session, hotline, call, action.language)
            return
        await session.set_variable("HOTLINE_CALL_ID", call.call_id)
        await session.set_variable("HOTLINE_HOLD_S", str(hotline.hold_announce_s))
        await session.set_variable("HOTLINE_NEXT", "hold")
        self._on_enqueued()
        # The caller is on their way to hold whatever happens while this plays. One read
        # of the caller's place and the queue's staffing for the rules and the news.
        figures = QueueFigures(self._acds[hotline.id], call.call_id)
        if self._overflow is not None and await self._overflow.check(
            session, hotline, call, self._register_callback, figures
        ):
            return
        if self._announcer is not None:
            await self._announcer.announce(session, hotline, call, entry=True, figures=figures)

    async def _refuse_full_queue(
        self, session: AgiSession, hotline: HotlineConfig, call: TrackedCall, language: str
    ) -> None:
        """The queue holds `max_waiting` callers already: this caller hears so and goes to
        the duty group (a person, never a drop); recorded `overflowed`, with no wait."""
        log.info("call %s: queue %s is full: to the duty group", call.call_id, call.queue_id)
        call.enqueued_at = None
        with contextlib.suppress(AgiHangup):
            await session.stream_file(prompt_file(QUEUE_FULL_PROMPT, language))
        await self._tracker.finish(call, Outcome.OVERFLOWED)
        if not session.dead:
            await session.set_variable("HOTLINE_NEXT", "fallback")

    async def ivr_result(self, session: AgiSession) -> None:
        """The end of a menu run by the classic AGI script (`agi_scripts/hotline_ivr.py`): it
        left its result in channel variables (`HOTLINE_IVR_RESULT`, ...; see
        `hotline.agi.classic`). Queue the caller, register the call-back, or write the
        record, as the `ivr` script would have. Run again from the `h` extension after a
        hang-up in the menu; the Uniqueid makes a second visit for one call harmless."""
        hotline = hotline_of(self._hotlines, session)
        env = session.env
        if self._tracker.by_uniqueid(env.uniqueid) is not None:
            # Seen already (the h extension after a result that queued the caller).
            return
        variables = {name: await session.get_variable(name) or "" for name in _RESULT_VARIABLES}
        call = self._tracker.start(hotline.id, env.uniqueid, env.channel, env.callerid)
        arrived = _float(variables["HOTLINE_ARRIVED"])
        if arrived is not None and arrived <= call.arrived_at:
            call.arrived_at = arrived
        call.language = variables["HOTLINE_LANG"] or None
        call.topic = variables["HOTLINE_TOPIC"] or None
        call.ivr_node = variables["HOTLINE_IVR_NODE"] or None
        call.path = [step for step in variables["HOTLINE_IVR_PATH"].split(",") if step]
        call.lookup_result = variables["HOTLINE_LOOKUP_RESULT"] or None
        result = variables["HOTLINE_IVR_RESULT"]
        if result in ("enqueue", "callback"):
            queue_id = variables["HOTLINE_QUEUE"]
            priority = _int(variables["HOTLINE_PRIORITY"])
            known = {queue.id for queue in hotline.queues}
            if queue_id in known and priority is not None and call.topic and call.language:
                if result == "enqueue":
                    enqueue = Enqueue(queue_id, call.topic, call.language, priority)
                    await self._enqueue(session, hotline, call, enqueue)
                else:
                    callback = Callback(queue_id, call.topic, call.language, priority)
                    await self._callback(session, hotline, call, callback)
                return
        elif result in ("self_served", "closed", "abandoned"):
            await self._tracker.finish(call, Outcome(result))
            if not session.dead:
                await session.set_variable("HOTLINE_NEXT", "hangup")
            return
        # "failed", nothing, or a result we cannot use: a person takes the call.
        log.warning(
            "call %s: classic IVR result %r unusable: to the fallback", call.call_id, variables
        )
        await self._tracker.finish(call, Outcome.FAILED)
        if not session.dead:
            await session.set_variable("HOTLINE_NEXT", "fallback")


# What the classic AGI script leaves for `ivr-result` (see hotline.agi.classic).
_RESULT_VARIABLES = (
    "HOTLINE_IVR_RESULT",
    "HOTLINE_QUEUE",
    "HOTLINE_TOPIC",
    "HOTLINE_LANG",
    "HOTLINE_PRIORITY",
    "HOTLINE_IVR_NODE",
    "HOTLINE_IVR_PATH",
    "HOTLINE_ARRIVED",
    "HOTLINE_LOOKUP_RESULT",
)


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _note(call: TrackedCall, machine: IvrMachine) -> None:
    """Keep what the record needs from the menu: language, topic, where, the path."""
    call.language = machine.language
    call.topic = machine.topic
    call.ivr_node = machine.where
    call.path = list(machine.path)
    call.lookup_result = machine.lookup_result

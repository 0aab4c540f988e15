"""The FastAGI scripts of the dialplan contract: `ivr` (the menu), `ivr-result` (the end of a
menu run by the classic AGI script) and `hold` (a visit between two stretches of hold music).

These are the thin drivers around the pure IVR machine: they turn its actions into AGI
commands and AGI answers into its events. They are the only IVR code that awaits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

from hotline.agi.protocol import AgiHangup
from hotline.agi.session import AgiSession
from hotline.agi.sounds import BARGE_IN_DIGITS, prompt_file
from hotline.clock import Clock
from hotline.config import HotlineConfig
from hotline.config.callbacks import NUMBER_RE
from hotline.controller.adoption import adopted_call
from hotline.controller.announcer import WaitAnnouncer
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
from hotline.queue.inventory import StoredCall
from hotline.queue.mode import EMERGENCY
from hotline.records import Outcome
from hotline.selfservice import SelfService
from hotline.shifts import is_open

log = logging.getLogger(__name__)

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
# Said to a caller refused by a full queue (`max_waiting`) on their way to the duty group.
QUEUE_FULL_PROMPT = "overflow-no-operators"


class IvrScripts:
    """The `ivr` and `hold` FastAGI handlers for a set of hotlines."""

    def __init__(
        self,
        hotlines: Mapping[str, HotlineConfig],
        acds: Mapping[str, Acd],
        tracker: CallTracker,
        clock: Clock,
        on_enqueued: Callable[[], None],
        selfservice: SelfService | None = None,
        announcer: WaitAnnouncer | None = None,
        overflow: OverflowRules | None = None,
        *,
        controller_id: str = "",
        adopt: Adopter | None = None,
        recover: Recoverer | None = None,
    ) -> None:
        """`selfservice` None: every look-up answers "error" (the menu says it cannot check
        now and goes on). `announcer` None: waiting callers hear no position or wait.
        `overflow` None: the queues' overflow rules are not applied. `controller_id`: the
        owner recorded with each call enqueued here ('': none). `adopt`: how a hold visit
        takes over a call this controller does not track (None: it adopts it directly,
        whoever owns it). `recover`: how a hold visit puts back a tracked call the ACD lost
        (None: such a caller goes to the duty group)."""
        self._recover = recover
        self._controller_id = controller_id
        self._adopter = adopt
        self._hotlines = hotlines
        self._clock = clock
        self._acds = acds
        self._tracker = tracker
        self._on_enqueued = on_enqueued
        self._selfservice = selfservice
        self._announcer = announcer
        self._overflow = overflow

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
        # The caller is on their way to hold whatever happens while this plays.
        if self._overflow is not None and await self._overflow.check(
            session, hotline, call, self._callback_from_queue
        ):
            return
        if self._announcer is not None:
            await self._announcer.announce(session, hotline, call, entry=True)

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

    async def _callback_from_queue(
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

    async def ivr_result(self, session: AgiSession) -> None:
        """The end of a menu run by the classic AGI script (`agi_scripts/hotline_ivr.py`): it
        left its result in channel variables (`HOTLINE_IVR_RESULT`, ...; see
        `hotline.agi.classic`). Queue the caller, register the call-back, or write the
        record, as the `ivr` script would have. Run again from the `h` extension after a
        hang-up in the menu; the Uniqueid makes a second visit for one call harmless."""
        hotline = self._hotline(session)
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

    async def hold(self, session: AgiSession) -> None:
        """A visit between two stretches of hold music: is the caller still expected?"""
        hotline = self._hotline(session)
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
        if self._overflow is not None and await self._overflow.check(
            session, hotline, waiting, self._callback_from_queue
        ):
            return
        if self._announcer is not None:
            await self._announcer.announce(session, hotline, waiting, entry=False)

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

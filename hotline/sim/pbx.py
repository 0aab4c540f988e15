"""SimPBX: our stand-in for Asterisk 22, running config/asterisk/extensions.conf.

Time comes only from the injected clock. Events go to subscribers as ordered AMI headers
(hotline.sim.events); hotline.sim.ami_server turns them into AMI bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

from hotline.clock import Clock
from hotline.sim.channel import STATE_RING, STATE_UP, Party, SimChannel
from hotline.sim.classic_agi import DEFAULT_AGI_DIR
from hotline.sim.dialplan import Dialplan, load_dialplan, substitute
from hotline.sim.errors import NoSuchChannel
from hotline.sim.events import (
    CALL,
    Headers,
    OriginateResult,
    channel_event,
    core_show_channel,
    global_varset,
    hangup,
    varset,
)
from hotline.sim.pbx_calls import CallTracker, press_digits
from hotline.sim.people import SimCall, SimCaller, SimOperator
from hotline.sim.sounds import SoundLibrary

log = logging.getLogger("hotline.sim.pbx")

Listener = Callable[[Headers], None]


class SimPBX:
    """Channels, dialplan, FastAGI, music on hold, Dial, Redirect and Hangup."""

    def __init__(
        self,
        clock: Clock,
        dialplan_path: Path,
        globals_override: dict[str, str],
        sounds: SoundLibrary,
        rng: random.Random,
        *,
        agi_dir: Path | None = None,
        agi_env: Mapping[str, str] | None = None,
    ) -> None:
        """`agi_dir`: where classic `AGI(script,...)` finds its scripts (Asterisk's
        astagidir; default: the repo's agi_scripts/). `agi_env`: extra environment
        variables for those scripts (e.g. HOTLINE_REDIS_URL)."""
        self._clock = clock
        self.agi_dir = Path(agi_dir) if agi_dir is not None else DEFAULT_AGI_DIR
        self.agi_env: dict[str, str] = dict(agi_env or {})
        self._sounds = sounds
        self._rng = rng
        self.dialplan: Dialplan = load_dialplan(Path(dialplan_path))
        self._globals = {**self.dialplan.globals, **globals_override}
        self._channels: dict[str, SimChannel] = {}
        self._listeners: list[Listener] = []
        self._operators: dict[str, SimOperator] = {}
        self._operators_in_use: set[str] = set()
        # softphones whose registration is gone: Dial finds no contact (CHANUNAVAIL)
        self._unregistered: set[str] = set()
        # answered operator legs inside Dial's U() subroutine that have not read a key yet
        self._answering: dict[str, SimOperator] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._name_counter = 0
        self._uniqueid_counter = 0
        self._started_at = clock.now()
        self.calls = CallTracker(self)

    # --- what AgiHost and the applications use -------------------------------------

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def sounds(self) -> SoundLibrary:
        return self._sounds

    @property
    def rng(self) -> random.Random:
        return self._rng

    def emit(self, event: Headers) -> None:
        for listener in list(self._listeners):
            listener(event)

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def channel_var(self, channel: SimChannel, name: str) -> str | None:
        """A variable, builtin or function as the dialplan and AGI see it."""
        target = channel.redirect_to  # a pending Redirect already shows (agi/08a)
        builtins = {
            "CHANNEL": channel.name,
            "UNIQUEID": channel.uniqueid,
            "CONTEXT": target[0] if target else channel.context,
            "EXTEN": target[1] if target else channel.exten,
            "PRIORITY": target[2] if target else str(channel.priority),
            "EPOCH": str(int(self._clock.now())),
            "CALLERID(num)": channel.cid_num,
            "CALLERID(name)": channel.cid_name,
            "CALLERID(all)": _callerid_all(channel.cid_name, channel.cid_num),
            "CONNECTEDLINE(num)": channel.connected_num,
            "CONNECTEDLINE(name)": channel.connected_name,
        }
        # pbx_retrieve_variable: builtins first, then the channel's, then globals
        if name in builtins:
            return builtins[name]
        shared = _shared_name(name)
        if shared is not None:
            # SHARED(name) reads this channel's shared variables (the channel argument is
            # only for writing here)
            return channel.shared.get(shared[0])
        if name in channel.variables:
            return channel.variables[name]
        return self._globals.get(name)

    def set_channel_var(self, channel: SimChannel, name: str, value: str) -> None:
        if name in ("CALLERID(num)", "CALLERID(name)"):
            if name == "CALLERID(num)":
                channel.cid_num = value
            else:
                channel.cid_name = value
            self.emit(
                channel_event(
                    "NewCallerid",
                    CALL,
                    channel,
                    ("CID-CallingPres", "0 (Presentation Allowed, Not Screened)"),
                )
            )
            return
        connected = _connected_line_field(name)
        if connected is not None:
            # func_callerid.c: with the `i` option the channel's connected line changes
            # without an update sent to the other side (a channel not called yet has none)
            if connected == "num":
                channel.connected_num = value
            else:
                channel.connected_name = value
            self.emit(channel_event("NewConnectedLine", CALL, channel))
            return
        shared = _shared_name(name)
        if shared is not None:
            self._set_shared(channel, shared[0], shared[1], value)
            return
        if value:
            channel.variables[name] = value
        else:
            channel.variables.pop(name, None)  # Set(X=) unsets X but still says VarSet
        self.emit(varset(channel, name, value))

    def _set_shared(self, channel: SimChannel, name: str, target: str, value: str) -> None:
        """Set(SHARED(name[,channel])=value): on `target` (a full channel name or its
        prefix, as func_global.c finds it), else on `channel`. An empty value is kept as
        empty, not removed. The VarSet names the channel that holds the variable."""
        holder = channel
        if target:
            found = self._channels.get(target) or next(
                (c for n, c in self._channels.items() if n.startswith(target)), None
            )
            if found is None:
                log.warning("Channel '%s' not found!  Variable 'SHARED(%s)' not set.", target, name)
                return
            holder = found
        holder.shared[name] = value
        self.emit(varset(holder, f"SHARED({name})", value))

    def expand(self, channel: SimChannel, text: str) -> str:
        return substitute(text, lambda name: self.channel_var(channel, name))

    def answer(self, channel: SimChannel) -> None:
        if channel.state != STATE_UP:
            channel.state = STATE_UP
            self.emit(channel_event("Newstate", CALL, channel))

    def start_moh(self, channel: SimChannel, moh_class: str) -> None:
        self.stop_moh(channel)
        channel.moh_class = moh_class
        self.emit(channel_event("MusicOnHoldStart", CALL, channel, ("Class", moh_class)))

    def stop_moh(self, channel: SimChannel) -> None:
        if channel.moh_class is not None:
            channel.moh_class = None
            self.emit(channel_event("MusicOnHoldStop", CALL, channel))

    def input_started(self, channel: SimChannel, prompt_end_at: float, prompt: str = "") -> None:
        operator = self._answering.pop(channel.name, None)
        if operator is not None:
            # an operator's answered leg asked for a key (Dial's U() subroutine): the
            # operator presses once, at the first read
            if operator.confirm_digits:
                at = prompt_end_at + operator.confirm_think_s
                self.spawn(press_digits(self, channel, operator.confirm_digits, at))
            return
        self.calls.input_started(channel, prompt_end_at, prompt)

    def operator_answered(self, leg: SimChannel, operator: SimOperator) -> None:
        """`leg` answered and runs Dial's U() subroutine: the operator may press a key."""
        self._answering[leg.name] = operator

    def operator_subroutine_done(self, leg: SimChannel) -> None:
        self._answering.pop(leg.name, None)

    def hold_started(self, channel: SimChannel) -> None:
        self.calls.hold_started(channel)

    def hold_stopped(self, channel: SimChannel) -> None:
        self.calls.hold_stopped(channel)

    def call_answered(self, caller: SimChannel, operator_dial: str) -> None:
        self.calls.answered(caller, operator_dial)

    def operator_hung_up(self, caller: SimChannel) -> None:
        self.calls.operator_hung_up(caller)

    def hang_up(self, channel: SimChannel, cause: int, by: Party) -> None:
        channel.request_hangup(cause, by)

    # --- channels -------------------------------------------------------------------

    def new_channel(
        self,
        prefix: str,
        context: str,
        exten: str,
        *,
        linkedid: str | None = None,
        cid: tuple[str, str] = ("", ""),
        connected: tuple[str, str] = ("", ""),
        uniqueid: str | None = None,
    ) -> SimChannel:
        """Create `<prefix>-<8 hex digits>` and emit Newchannel. `uniqueid`: the one an
        Originate asked for with ChannelId (default: `<epoch>.<counter>`)."""
        self._name_counter += 1
        self._uniqueid_counter += 1
        now = self._clock.now()
        uniqueid = uniqueid or f"{int(now)}.{self._uniqueid_counter}"
        channel = SimChannel(
            name=f"{prefix}-{self._name_counter:08x}",
            uniqueid=uniqueid,
            linkedid=linkedid or uniqueid,
            created_at=now,
            context=context,
            exten=exten,
            cid_num=cid[0],
            cid_name=cid[1],
            connected_num=connected[0],
            connected_name=connected[1],
        )
        self._channels[channel.name] = channel
        self.emit(channel_event("Newchannel", CALL, channel))
        return channel

    def finish_channel(self, channel: SimChannel, cause: int) -> None:
        """Emit Hangup and forget the channel (once)."""
        if not channel.alive:
            return
        channel.alive = False
        channel.hangup_cause = cause if channel.hangup_cause is None else channel.hangup_cause
        self.stop_moh(channel)
        self.emit(hangup(channel, cause))
        self._channels.pop(channel.name, None)
        self.calls.channel_ended(channel, cause)

    def run(self, channel: SimChannel) -> asyncio.Task[Any]:
        from hotline.sim.runner import run_dialplan  # runner imports the apps, which need us

        return self.spawn(run_dialplan(self, channel))

    # --- operators ------------------------------------------------------------------

    def add_operator(self, dial: str, operator: SimOperator) -> None:
        """A softphone reachable as `dial` ("PJSIP/op101" or "PJSIP/+7701...@trunk")."""
        self._operators[dial] = operator

    def set_registered(self, dial: str, registered: bool) -> None:
        """A softphone registers or loses its registration: Asterisk publishes the
        endpoint's device state (UNAVAILABLE without a contact, NOT_INUSE again after), and
        Dial to an unregistered endpoint ends at once with CHANUNAVAIL."""
        if registered:
            self._unregistered.discard(dial)
        else:
            self._unregistered.add(dial)
        state = "NOT_INUSE" if registered else "UNAVAILABLE"
        self.emit(
            [
                ("Event", "DeviceStateChange"),
                ("Privilege", "call,all"),
                ("Device", dial),
                ("State", state),
            ]
        )

    def dial_target(self, dialstring: str) -> tuple[SimOperator, str] | None:
        """The operator behind a dial string and its channel-name prefix."""
        operator = self._operators.get(dialstring)
        if operator is None or "/" not in dialstring or dialstring in self._unregistered:
            return None
        tech, resource = dialstring.split("/", 1)
        return operator, f"{tech}/{resource.split('@', 1)[1] if '@' in resource else resource}"

    def operator_in_use(self, dial: str) -> bool:
        return dial in self._operators_in_use

    def set_operator_in_use(self, dial: str, in_use: bool) -> None:
        if in_use:
            self._operators_in_use.add(dial)
        else:
            self._operators_in_use.discard(dial)

    # --- calls ----------------------------------------------------------------------

    async def place_call(
        self,
        exten: str,
        caller: SimCaller,
        callerid_num: str,
        callerid_name: str = "",
        *,
        endpoint: str = "trunk",
        context: str = "hotline-in",
    ) -> SimCall:
        """A call from PJSIP endpoint `endpoint` (default: the trunk) into `context` at
        `exten`; e.g. an operator's phone dialling a feature code into [hotline-operators]."""
        channel = self._inbound_channel(exten, callerid_num, callerid_name, endpoint, context)
        call = self.calls.track(channel, caller)
        self.run(channel)
        return call

    def _inbound_channel(
        self, exten: str, cid_num: str, cid_name: str, endpoint: str, context: str
    ) -> SimChannel:
        self._name_counter += 1
        self._uniqueid_counter += 1
        now = self._clock.now()
        uniqueid = f"{int(now)}.{self._uniqueid_counter}"
        channel = SimChannel(
            name=f"PJSIP/{endpoint}-{self._name_counter:08x}",
            uniqueid=uniqueid,
            linkedid=uniqueid,
            created_at=now,
            context=context,
            exten=exten,
            state=STATE_RING,
            cid_num=cid_num,
            cid_name=cid_name,
            dnid=exten,
        )
        self._channels[channel.name] = channel
        self.emit(channel_event("Newchannel", CALL, channel))
        return channel

    def caller_hangs_up(self, channel: str) -> bool:
        """The remote party of `channel` hangs up (a BYE from the trunk)."""
        found = self._channels.get(channel)
        if found is None:
            return False
        self.emit(channel_event("HangupRequest", CALL, found, ("Cause", "16")))
        found.request_hangup(16, "caller")
        return True

    async def close(self) -> None:
        """Hang up every channel and wait for their tasks (end of a test or a run)."""
        for channel in list(self._channels.values()):
            channel.request_hangup(16, "system")
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- the AMI-facing interface ---------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def channel_snapshots(self) -> list[Headers]:
        """CoreShowChannel items (newest channel first, as Asterisk lists them)."""
        now = self._clock.now()
        return [core_show_channel(c, now) for c in reversed(self._channels.values())]

    def has_channel(self, name: str) -> bool:
        return name in self._channels

    def has_uniqueid(self, uniqueid: str) -> bool:
        return any(c.uniqueid == uniqueid for c in self._channels.values())

    def _channel(self, name: str) -> SimChannel:
        channel = self._channels.get(name)
        if channel is None:
            raise NoSuchChannel(name)
        return channel

    async def originate(
        self,
        channel: str,
        *,
        context: str | None,
        exten: str | None,
        priority: str | None,
        application: str | None,
        data: str | None,
        variables: list[tuple[str, str]],
        caller_id: str | None,
        timeout_ms: int,
        channel_id: str | None = None,
    ) -> OriginateResult:
        from hotline.sim.originate import originate

        return await originate(
            self,
            channel,
            context=context,
            exten=exten,
            priority=priority,
            application=application,
            data=data,
            variables=variables,
            caller_id=caller_id,
            timeout_ms=timeout_ms,
            channel_id=channel_id,
        )

    def redirect(self, channel: str, context: str, exten: str, priority: str) -> bool:
        found = self._channels.get(channel)
        if found is None or not found.runs_dialplan:
            return False
        found.request_redirect(context, exten, priority)
        return True

    def hangup(self, channel: str, cause: int) -> bool:
        found = self._channels.get(channel)
        if found is None:
            return False
        # the SoftHangupRequest says 16 whatever the cause; Hangup carries it (ami/15)
        self.emit(channel_event("SoftHangupRequest", CALL, found, ("Cause", "16")))
        found.request_hangup(cause, "system")
        return True

    def getvar(self, channel: str | None, name: str) -> str | None:
        if channel is None:
            return self._globals.get(name)
        return self.channel_var(self._channel(channel), name)

    def setvar(self, channel: str | None, name: str, value: str) -> None:
        if channel is None:
            self._globals[name] = value
            self.emit(global_varset(name, value))
            return
        self.set_channel_var(self._channel(channel), name, value)

    def uptime_s(self) -> float:
        return self._clock.now() - self._started_at


def _shared_name(name: str) -> tuple[str, str] | None:
    """`SHARED(var)` or `SHARED(var,channel)` as (var, channel); None for anything else."""
    if not (name.upper().startswith("SHARED(") and name.endswith(")")):
        return None
    variable, _, target = name[len("SHARED(") : -1].partition(",")
    return variable.strip(), target.strip()


def _connected_line_field(name: str) -> str | None:
    """`CONNECTEDLINE(name)`, `CONNECTEDLINE(num)`, with or without `,i`: "name" or "num"."""
    if not (name.upper().startswith("CONNECTEDLINE(") and name.endswith(")")):
        return None
    field, _, _ = name[len("CONNECTEDLINE(") : -1].partition(",")
    field = field.strip().lower()
    return field if field in ("name", "num") else None


def _callerid_all(name: str, num: str) -> str:
    """ast_callerid_merge: `"name" <num>`, or whichever part there is."""
    if name and num:
        return f'"{name}" <{num}>'
    return name or num

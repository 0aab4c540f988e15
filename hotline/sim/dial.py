"""Dial(): ring one simulated operator, bridge on answer, follow the app_dial events.

Event order follows ami/20 and ami/19 (Local channels there; here the operator leg is a
single PJSIP channel): DialBegin, Newstate Ringing, DialState RINGING, then on answer
Newstate Up, DIALSTATUS VarSets, DialEnd ANSWER, BridgeCreate, BridgeEnter x2, BRIDGEPEER.

The b(context^exten^priority(arg^...)) option follows app_dial.c too: once the outbound
channel exists, with its connected line copied from the caller's caller ID (what the
called phone will show), the routine runs on that new channel, before it is called and
before DialBegin; the caller waits meanwhile (autoservice).

The U(context^arg^...) option follows app_dial.c (dial_exec_full): on answer DIALSTATUS is
set to ANSWER first, then the called channel runs `context`,s,1 as a Gosub while the
caller waits, and the DialEnd of the answered leg is published only afterwards. If the
routine set GOSUB_RESULT, GOSUB_RETVAL is copied to the caller and: CONTINUE, BUSY,
CONGESTION, CHANUNAVAIL and ABORT publish DialEnd with that very status, hang the called
channel up and end the Dial (DIALSTATUS stays ANSWER for CONTINUE and ABORT, is the result
for the others; the caller goes on at the next priority, for ABORT only with `g`). Without
a result (or another value) DialEnd says ANSWER and the two are bridged, even when the
called party hung up during the routine (gosub_run reports such an abnormal exit as a
success): then there is nothing to bridge and the Dial ends as after a talk.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from hotline.sim.channel import (
    STATE_RINGING,
    STATE_UP,
    ChannelInterruptedError,
    SimChannel,
    wait_interrupt,
)
from hotline.sim.events import CALL, SimBridge, bridge_event, channel_event, dial_event, varset
from hotline.sim.people import SimOperator

if TYPE_CHECKING:
    from hotline.sim.pbx import SimPBX

log = logging.getLogger("hotline.sim.pbx")

# app_dial clears these on entry (one VarSet each, ami/20)
DIAL_VARIABLES = (
    "DIALSTATUS",
    "DIALEDPEERNUMBER",
    "DIALEDPEERNAME",
    "ANSWEREDTIME",
    "ANSWEREDTIME_MS",
    "DIALEDTIME",
    "DIALEDTIME_MS",
    "RINGTIME",
    "RINGTIME_MS",
    "PROGRESSTIME",
    "PROGRESSTIME_MS",
)


# GOSUB_RESULT values that end the Dial (app_dial.c); any other value bridges the call
_RESULT_STATUS = {
    "BUSY": "BUSY",
    "CONGESTION": "CONGESTION",
    "CHANUNAVAIL": "CHANUNAVAIL",
    "CONTINUE": "ANSWER",
    "ABORT": "ANSWER",
}


def parse_dial(data: str) -> tuple[str, float | None, str]:
    """`dialstring,timeout_s,options` (the timeout may be empty: ring forever)."""
    parts = [*data.split(","), "", ""]
    timeout = parts[1].strip()
    return parts[0].strip(), float(timeout) if timeout else None, parts[2].strip()


def parse_options(options: str) -> tuple[str, dict[str, str]]:
    """Dial's option letters, and the argument of those given one.

    >>> parse_options("gU(hotline-confirm^400-100^c1)")
    ('gU', {'U': 'hotline-confirm^400-100^c1'})
    """
    letters: list[str] = []
    arguments: dict[str, str] = {}
    index = 0
    while index < len(options):
        letter = options[index]
        index += 1
        letters.append(letter)
        if index < len(options) and options[index] == "(":
            depth, end = 0, index
            while end < len(options):
                depth += {"(": 1, ")": -1}.get(options[end], 0)
                if depth == 0:
                    break
                end += 1
            arguments[letter] = options[index + 1 : end]
            index = end + 1
    return "".join(letters), arguments


async def run_dial(pbx: SimPBX, caller: SimChannel, data: str) -> None:
    dialstring, timeout_s, options = parse_dial(data)
    for name in DIAL_VARIABLES:
        pbx.set_channel_var(caller, name, "")
    target = pbx.dial_target(dialstring)
    if target is None:
        pbx.set_channel_var(caller, "DIALSTATUS", "CHANUNAVAIL")
        return
    operator, leg_prefix = target
    resource = dialstring.split("/", 1)[1]
    leg = pbx.new_channel(
        leg_prefix,
        "default",
        "s",
        linkedid=caller.linkedid,
        cid=(resource.split("@")[0], ""),
        connected=(caller.cid_num, caller.cid_name),
    )
    leg.application, leg.app_data = "AppDial", "(Outgoing Line)"
    _, arguments = parse_options(options)
    if "b" in arguments:
        await _predial_callee(pbx, leg, arguments["b"])
    pbx.emit(dial_event("DialBegin", caller, leg, ("DialString", resource)))
    if operator.busy or pbx.operator_in_use(dialstring):
        pbx.emit(dial_event("DialEnd", caller, leg, ("DialStatus", "BUSY")))
        pbx.finish_channel(leg, 17)
        pbx.set_channel_var(caller, "DIALSTATUS", "BUSY")
        return
    pbx.set_operator_in_use(dialstring, True)
    try:
        await _ring_and_talk(pbx, caller, leg, operator, timeout_s, options, dialstring)
    finally:
        pbx.set_operator_in_use(dialstring, False)
        if leg.alive:
            pbx.finish_channel(leg, _cause_or_normal(leg))


async def _ring_and_talk(
    pbx: SimPBX,
    caller: SimChannel,
    leg: SimChannel,
    operator: SimOperator,
    timeout_s: float | None,
    options: str,
    dialstring: str,
) -> None:
    clock = pbx.clock
    started = clock.now()
    ring_s = operator.ring_s
    leg.state = STATE_RINGING
    pbx.emit(channel_event("Newstate", CALL, leg))
    pbx.emit(dial_event("DialState", caller, leg, ("DialStatus", "RINGING")))
    answers = ring_s is not None and (timeout_s is None or ring_s <= timeout_s)
    ring_wait = ring_s if answers else timeout_s
    pbx.hold_started(caller)  # a ringing caller is still waiting for an operator
    try:
        who = await wait_interrupt(clock, ring_wait, caller, leg)
    finally:
        pbx.hold_stopped(caller)
    if who is caller:
        pbx.emit(dial_event("DialEnd", caller, leg, ("DialStatus", "CANCEL")))
        pbx.set_channel_var(caller, "DIALSTATUS", "CANCEL")
        raise ChannelInterruptedError
    if who is leg or not answers:
        status = "NOANSWER"
        pbx.emit(dial_event("DialEnd", caller, leg, ("DialStatus", status)))
        leg.request_hangup(0, "system")  # as a member that never answered (ami/11)
        pbx.set_channel_var(caller, "DIALSTATUS", status)
        return
    answered = clock.now()
    leg.state = STATE_UP
    pbx.emit(channel_event("Newstate", CALL, leg))
    pbx.set_channel_var(caller, "DIALSTATUS", "ANSWER")
    pbx.set_channel_var(caller, "DIALEDPEERNAME", leg.name)
    pbx.set_channel_var(caller, "DIALEDPEERNUMBER", dialstring.split("/", 1)[1])
    letters, arguments = parse_options(options)
    if "U" in arguments:
        result = await _callee_subroutine(pbx, caller, leg, operator, arguments["U"])
        if result is not None and result.upper() in _RESULT_STATUS:
            _end_on_result(pbx, caller, leg, result, letters)
            return
        if leg.interrupted.is_set() or caller.interrupted.is_set():
            _end_after_routine(pbx, caller, leg, letters)
            return
    pbx.emit(dial_event("DialEnd", caller, leg, ("DialStatus", "ANSWER")))
    pbx.call_answered(caller, dialstring)
    await _bridge(pbx, caller, leg, operator.talk_s())
    now = clock.now()
    for name, seconds in (("ANSWEREDTIME", now - answered), ("DIALEDTIME", now - started)):
        pbx.set_channel_var(caller, name, str(int(seconds)))
        pbx.set_channel_var(caller, f"{name}_MS", str(int(seconds * 1000)))
    pbx.set_channel_var(caller, "DIALSTATUS", "ANSWER")
    if caller.interrupted.is_set():
        raise ChannelInterruptedError
    if "g" not in letters:
        # without g, Dial returns -1 when the called party hangs up: the caller is gone too
        caller.request_hangup(16, "operator")
        raise ChannelInterruptedError


def parse_gosub_location(argument: str) -> tuple[str, str, int, list[str]]:
    """A b() location `context^exten^priority(arg^...)` (app_dial's `^` for `,`).

    >>> parse_gosub_location("hotline-operator-label^s^1(RU 400-100)")
    ('hotline-operator-label', 's', 1, ['RU 400-100'])
    """
    location, paren, rest = argument.partition("(")
    args = rest.rsplit(")", 1)[0].split("^") if paren else []
    parts = location.split("^")
    if len(parts) != 3 or not parts[2].strip().isdigit():
        raise ValueError(f"b({argument}): the simulator wants context^exten^priority")
    return parts[0].strip(), parts[1].strip(), int(parts[2]), args


async def _predial_callee(pbx: SimPBX, leg: SimChannel, argument: str) -> None:
    """b(): the pre-dial routine on the new outbound channel, before it is called."""
    from hotline.sim.runner import run_subroutine  # the runner imports the apps, and us

    context, exten, priority, args = parse_gosub_location(argument)
    saved = leg.application, leg.app_data
    await run_subroutine(pbx, leg, context, args, exten, priority)
    leg.application, leg.app_data = saved


async def _callee_subroutine(
    pbx: SimPBX, caller: SimChannel, leg: SimChannel, operator: SimOperator, argument: str
) -> str | None:
    """U(context^arg^...): run the routine on the answered leg while the caller waits
    (still counted as waiting for an operator); the leg's GOSUB_RESULT, None if unset.
    A caller's hangup or Redirect meanwhile does not stop the routine (autoservice)."""
    from hotline.sim.runner import run_subroutine  # the runner imports the apps, and us

    context, *args = argument.split("^")
    pbx.operator_answered(leg, operator)
    hangup = None
    if operator.confirm_hangup_s is not None:
        hangup = pbx.spawn(_operator_hangs_up(pbx, leg, operator.confirm_hangup_s))
    pbx.hold_started(caller)
    try:
        await run_subroutine(pbx, leg, context.strip(), args)
    finally:
        pbx.hold_stopped(caller)
        pbx.operator_subroutine_done(leg)
        if hangup is not None:
            hangup.cancel()
    result = leg.variables.get("GOSUB_RESULT")
    if result is not None:
        # app_dial copies the routine's return value to the caller when it set a result
        pbx.set_channel_var(caller, "GOSUB_RETVAL", leg.variables.get("GOSUB_RETVAL", ""))
        if result.upper().startswith("GOTO:"):
            log.warning("Dial U(): GOSUB_RESULT=%s is not simulated; bridging", result)
    return result


async def _operator_hangs_up(pbx: SimPBX, leg: SimChannel, after_s: float) -> None:
    await pbx.clock.sleep(after_s)
    if leg.alive and leg.hangup_cause is None:
        pbx.emit(channel_event("HangupRequest", CALL, leg, ("Cause", "16")))
        leg.request_hangup(16, "operator")


def _end_on_result(
    pbx: SimPBX, caller: SimChannel, leg: SimChannel, result: str, letters: str
) -> None:
    """GOSUB_RESULT CONTINUE, BUSY, CONGESTION, CHANUNAVAIL or ABORT: DialEnd with the
    result as its status, the called channel hung up, DIALSTATUS set on the way out."""
    pbx.emit(dial_event("DialEnd", caller, leg, ("DialStatus", result)))
    pbx.finish_channel(leg, _cause_or_normal(leg))
    pbx.set_channel_var(caller, "DIALSTATUS", _RESULT_STATUS[result.upper()])
    if caller.interrupted.is_set():
        raise ChannelInterruptedError
    if result.upper() == "ABORT" and "g" not in letters:
        caller.request_hangup(16, "system")
        raise ChannelInterruptedError


def _end_after_routine(pbx: SimPBX, caller: SimChannel, leg: SimChannel, letters: str) -> None:
    """No result, but the called party hung up during the routine (or the caller went):
    DialEnd ANSWER all the same, nothing to bridge, and the Dial ends as after a talk."""
    pbx.emit(dial_event("DialEnd", caller, leg, ("DialStatus", "ANSWER")))
    pbx.finish_channel(leg, _cause_or_normal(leg))
    pbx.set_channel_var(caller, "DIALSTATUS", "ANSWER")
    if caller.interrupted.is_set():
        raise ChannelInterruptedError
    if "g" not in letters:
        caller.request_hangup(16, "operator")
        raise ChannelInterruptedError


async def _bridge(pbx: SimPBX, caller: SimChannel, leg: SimChannel, talk_s: float) -> None:
    bridge = SimBridge(str(uuid.UUID(int=pbx.rng.getrandbits(128), version=4)))
    pbx.emit(bridge_event("BridgeCreate", bridge))
    for channel in (leg, caller):
        bridge.num_channels += 1
        channel.bridge_id = bridge.uniqueid
        pbx.emit(bridge_event("BridgeEnter", bridge, channel))
    pbx.emit(varset(leg, "BRIDGEPEER", caller.name))
    pbx.emit(varset(caller, "BRIDGEPEER", leg.name))
    who = await wait_interrupt(pbx.clock, talk_s, caller, leg)
    if who is None:  # the operator hangs up
        pbx.emit(channel_event("HangupRequest", CALL, leg, ("Cause", "16")))
        leg.request_hangup(16, "operator")
        pbx.operator_hung_up(caller)
    pbx.emit(varset(leg, "BRIDGEPEER", ""))
    pbx.emit(varset(caller, "BRIDGEPEER", ""))
    first, second = (caller, leg) if who is caller else (leg, caller)
    for channel in (first, second):
        bridge.num_channels -= 1
        channel.bridge_id = ""
        pbx.emit(bridge_event("BridgeLeave", bridge, channel))
        if channel is leg:
            pbx.finish_channel(leg, _cause_or_normal(leg))
    pbx.emit(bridge_event("BridgeDestroy", bridge))


def _cause_or_normal(channel: SimChannel) -> int:
    return channel.hangup_cause if channel.hangup_cause is not None else 16

"""Dial(): ring one simulated operator, bridge on answer, follow the app_dial events.

Event order follows ami/20 and ami/19 (Local channels there; here the operator leg is a
single PJSIP channel): DialBegin, Newstate Ringing, DialState RINGING, then on answer
Newstate Up, DIALSTATUS VarSets, DialEnd ANSWER, BridgeCreate, BridgeEnter x2, BRIDGEPEER.
"""

from __future__ import annotations

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


def parse_dial(data: str) -> tuple[str, float | None, str]:
    """`dialstring,timeout_s,options` (the timeout may be empty: ring forever)."""
    parts = [*data.split(","), "", ""]
    timeout = parts[1].strip()
    return parts[0].strip(), float(timeout) if timeout else None, parts[2].strip()


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
    pbx.emit(dial_event("DialBegin", caller, leg, ("DialString", resource)))
    if pbx.operator_in_use(dialstring):
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
    if "g" not in options:
        # without g, Dial returns -1 when the called party hangs up: the caller is gone too
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

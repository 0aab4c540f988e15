"""AMI Originate of a simulated operator's phone: ring it, and once answered run the
given context/exten/priority (or a single application) on the new channel.

Reasons as Asterisk reports them: 4 answered, 0 no such technology/endpoint, 3 not
answered within the timeout, 5 busy. The AMI server builds OriginateResponse from the
result with hotline.sim.events.originate_response.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from hotline.sim.channel import (
    STATE_RINGING,
    STATE_UP,
    ChannelInterruptedError,
    SimChannel,
    wait_interrupt,
)
from hotline.sim.events import CALL, OriginateResult, channel_event, dial_event, varset
from hotline.sim.people import SimOperator

if TYPE_CHECKING:
    from hotline.sim.pbx import SimPBX

_CALLER_ID = re.compile(r'^\s*(?:"([^"]*)"|([^<]*?))\s*<([^>]*)>\s*$')


def parse_caller_id(caller_id: str | None) -> tuple[str, str]:
    """`"Name" <num>`, `Name <num>` or a bare number into (num, name)."""
    if not caller_id:
        return "", ""
    match = _CALLER_ID.match(caller_id)
    if match is None:
        return caller_id.strip(), ""
    return match.group(3).strip(), (match.group(1) or match.group(2) or "").strip()


async def originate(
    pbx: SimPBX,
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
    """`channel_id` (the ChannelId header) becomes the new channel's Uniqueid; one that a
    live channel has already makes the Originate fail with no channel created (Asterisk
    refuses to allocate a channel with a Uniqueid in use; not captured)."""
    cid_num, cid_name = parse_caller_id(caller_id)
    target = pbx.dial_target(channel)
    if target is None or (channel_id and pbx.has_uniqueid(channel_id)):
        return OriginateResult("Failure", 0, channel, None, cid_num, cid_name)
    operator, prefix = target
    leg = pbx.new_channel(prefix, context or "default", exten or "s", uniqueid=channel_id)
    for name, value in reversed(variables):
        leg.variables[name] = value
        pbx.emit(varset(leg, name, value))
    if caller_id:
        leg.cid_num, leg.cid_name = cid_num, cid_name
        pbx.emit(
            channel_event(
                "NewCallerid",
                CALL,
                leg,
                ("CID-CallingPres", "0 (Presentation Allowed, Not Screened)"),
            )
        )
    if operator.busy or pbx.operator_in_use(channel):
        pbx.finish_channel(leg, 17)
        return OriginateResult("Failure", 5, channel, None, cid_num, cid_name)
    pbx.set_operator_in_use(channel, True)
    answered = await _ring(pbx, leg, operator, channel.split("/", 1)[1], timeout_ms / 1000)
    if not answered:
        pbx.set_operator_in_use(channel, False)
        pbx.finish_channel(leg, 19)
        return OriginateResult("Failure", 3, channel, None, cid_num, cid_name)
    pbx.spawn(
        _answered_call(pbx, leg, operator, channel, context, exten, priority, application, data)
    )
    return OriginateResult("Success", 4, leg.name, leg.uniqueid, cid_num, cid_name)


async def _ring(
    pbx: SimPBX, leg: SimChannel, operator: SimOperator, resource: str, timeout_s: float
) -> bool:
    pbx.emit(dial_event("DialBegin", None, leg, ("DialString", resource)))
    leg.state = STATE_RINGING
    pbx.emit(channel_event("Newstate", CALL, leg))
    pbx.emit(dial_event("DialState", None, leg, ("DialStatus", "RINGING")))
    answers = operator.ring_s is not None and operator.ring_s <= timeout_s
    wait_s = operator.ring_s if answers else timeout_s
    if await wait_interrupt(pbx.clock, wait_s, leg) is not None or not answers:
        return False  # no DialEnd when an Originate is not answered (ami/07)
    leg.state = STATE_UP
    pbx.emit(channel_event("Newstate", CALL, leg))
    pbx.emit(dial_event("DialEnd", None, leg, ("DialStatus", "ANSWER")))
    return True


async def _answered_call(
    pbx: SimPBX,
    leg: SimChannel,
    operator: SimOperator,
    dial: str,
    context: str | None,
    exten: str | None,
    priority: str | None,
    application: str | None,
    data: str | None,
) -> None:
    """Run the dialplan (or one application) while the operator talks, then hang up."""
    talk = pbx.spawn(_operator_hangs_up_after(pbx, leg, operator.talk_s()))
    # The operator answers the first key read on their channel (a remote operator's "press
    # 1" in [hotline-callback]) as they do in Dial's U() routine.
    pbx.operator_answered(leg, operator)
    try:
        if application:
            await _run_application(pbx, leg, application, data or "")
        else:
            leg.context, leg.exten = context or "default", exten or "s"
            leg.priority = (
                pbx.dialplan.resolve_priority(leg.context, leg.exten, priority or "1") or 1
            )
            await pbx.run(leg)
    finally:
        talk.cancel()
        pbx.operator_subroutine_done(leg)
        pbx.set_operator_in_use(dial, False)


async def _run_application(pbx: SimPBX, leg: SimChannel, application: str, data: str) -> None:
    from hotline.sim.apps import APPS

    leg.application, leg.app_data = application, data
    app = APPS.get(application.lower())
    try:
        if app is not None:
            await app(pbx, leg, data)
    except ChannelInterruptedError:
        pass
    pbx.finish_channel(leg, leg.hangup_cause if leg.hangup_cause is not None else 16)


async def _operator_hangs_up_after(pbx: SimPBX, leg: SimChannel, talk_s: float) -> None:
    await pbx.clock.sleep(talk_s)
    if leg.alive and leg.hangup_cause is None:
        pbx.emit(channel_event("HangupRequest", CALL, leg, ("Cause", "16")))
        leg.request_hangup(16, "operator")

"""The dialplan interpreter loop for one channel: find the step, expand its arguments,
emit Newexten, run the application, then follow Goto, Redirect or hangup."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from hotline.sim.apps import APPS, App, SubroutineReturn
from hotline.sim.channel import ChannelInterruptedError, SimChannel
from hotline.sim.dialplan import Step
from hotline.sim.events import CALL, DIALPLAN, channel_event, varset

if TYPE_CHECKING:
    from hotline.sim.pbx import SimPBX

log = logging.getLogger("hotline.sim.pbx")


def _jump(pbx: SimPBX, channel: SimChannel, target: tuple[str, str, str]) -> bool:
    """Move to a Goto/Redirect target; False (and a hangup) when it does not exist."""
    context, exten, priority_text = target
    priority = pbx.dialplan.resolve_priority(context, exten, priority_text)
    if priority is None or pbx.dialplan.step(context, exten, priority) is None:
        log.warning(
            "Channel '%s' sent to invalid extension: context,exten,priority=%s,%s,%s",
            channel.name,
            context,
            exten,
            priority_text,
        )
        channel.request_hangup(0, "system")
        return False
    channel.context, channel.exten, channel.priority = context, exten, priority
    return True


async def run_dialplan(pbx: SimPBX, channel: SimChannel) -> None:
    """Run `channel` from its context/exten/priority until it hangs up, then the `h`
    extension of the context it was in, if there is one."""
    channel.runs_dialplan = True
    cancelled = False
    try:
        await _run_steps(pbx, channel)
    except asyncio.CancelledError:
        cancelled = True
        raise
    finally:
        if channel.hung_up_by in ("caller", "operator"):
            # the pbx ends a channel whose peer went away with one more soft hangup (ami/09,
            # ami/11, ami/12); a dialplan or AMI hangup has already said it
            pbx.emit(channel_event("SoftHangupRequest", CALL, channel, ("Cause", "16")))
        if not cancelled:
            await _run_h_exten(pbx, channel)
        pbx.finish_channel(
            channel, channel.hangup_cause if channel.hangup_cause is not None else 16
        )


async def _run_h_exten(pbx: SimPBX, channel: SimChannel) -> None:
    """ast_pbx_h_exten_run: after the dialplan ended on a hangup, run `h` of the channel's
    context from priority 1, on the dead channel, until an application returns non-zero
    (here: raises ChannelInterruptedError, as Wait or Playback do on a dead channel) or
    the priorities run out. Set, NoOp, Goto and GotoIf work; AGI runs in dead mode."""
    if not pbx.dialplan.has_exten(channel.context, "h"):
        return
    if channel.hangup_cause is None:
        channel.request_hangup(16, "system")
    channel.redirect_to = None
    channel.exten, channel.priority = "h", 1
    try:
        while True:
            step = pbx.dialplan.step(channel.context, channel.exten, channel.priority)
            if step is None:
                return
            app = await _exec_step(pbx, channel, step)
            if app is None:
                return  # no such application: pbx_exec fails, the h extension ends
            try:
                target = await app(pbx, channel, channel.app_data)
            except ChannelInterruptedError:
                log.info(
                    "Spawn extension (%s, %s, %d) exited non-zero on '%s'",
                    channel.context,
                    channel.exten,
                    channel.priority,
                    channel.name,
                )
                return
            if target is None:
                channel.priority += 1
                continue
            context, exten, priority_text = target
            priority = pbx.dialplan.resolve_priority(context, exten, priority_text)
            if priority is None or pbx.dialplan.step(context, exten, priority) is None:
                return
            channel.context, channel.exten, channel.priority = context, exten, priority
    except Exception:
        log.exception("Channel '%s' failed in its h extension", channel.name)


async def _exec_step(pbx: SimPBX, channel: SimChannel, step: Step) -> App | None:
    """Expand the step's arguments, emit Newexten; its application (None: unknown)."""
    data = pbx.expand(channel, step.args)
    channel.application, channel.app_data = step.app, data
    pbx.emit(
        channel_event(
            "Newexten",
            DIALPLAN,
            channel,
            ("Extension", channel.exten),
            ("Application", step.app),
            ("AppData", data),
        )
    )
    app = APPS.get(step.app.lower())
    if app is None:
        log.warning(
            "No application '%s' for extension (%s, %s, %d)",
            step.app,
            channel.context,
            channel.exten,
            channel.priority,
        )
    return app


async def _run_steps(pbx: SimPBX, channel: SimChannel) -> None:
    try:
        while channel.hangup_cause is None:
            if channel.redirect_to is not None:
                redirect, channel.redirect_to = channel.redirect_to, None
                channel.interrupted.clear()
                if not _jump(pbx, channel, redirect):
                    break
            step = pbx.dialplan.step(channel.context, channel.exten, channel.priority)
            if step is None:
                exists = pbx.dialplan.has_exten(channel.context, channel.exten)
                log.info(
                    "Auto fallthrough, channel '%s' status is 'UNKNOWN'"
                    if exists
                    else "Channel '%s' sent to invalid extension",
                    channel.name,
                )
                channel.request_hangup(16 if exists else 0, "system")
                break
            app = await _exec_step(pbx, channel, step)
            if app is None:
                channel.priority += 1
                continue
            try:
                target = await app(pbx, channel, channel.app_data)
            except ChannelInterruptedError:
                continue
            if channel.interrupted.is_set():
                continue
            if target is None:
                channel.priority += 1
            elif not _jump(pbx, channel, target):
                break
    except Exception:
        # a simulator bug must not leave a channel up forever: log it, hang up as Asterisk
        # would on an application failure
        log.exception(
            "Channel '%s' failed at %s,%s,%d",
            channel.name,
            channel.context,
            channel.exten,
            channel.priority,
        )
        channel.request_hangup(0, "system")


async def run_subroutine(
    pbx: SimPBX,
    channel: SimChannel,
    context: str,
    args: list[str],
    exten: str = "s",
    priority: int = 1,
) -> bool:
    """app_stack.c's gosub_run for Dial's U() and b(): run `context`,`exten`,`priority` on
    `channel` with the arguments as LOCAL ARG1..ARGn (and ARGC) until Return(), which sets
    GOSUB_RETVAL.

    True when the routine returned. A hangup, an unknown step or a failing application
    ends it early: an abnormal exit (Asterisk logs it, pops the frames and sets
    GOSUB_RETVAL to empty), which gosub_run still reports as success to Dial. The
    channel's dialplan location is restored afterwards; its variables stay (GOSUB_RESULT).
    """
    saved = (channel.context, channel.exten, channel.priority)
    local = [(f"ARG{n}", arg) for n, arg in enumerate(args, start=1)]
    local.append(("ARGC", str(len(args))))
    for name, value in local:
        channel.variables[name] = value
        pbx.emit(varset(channel, f"LOCAL({name})", value))
    channel.context, channel.exten, channel.priority = context, exten, priority
    returned: str | None = None
    try:
        returned = await _subroutine_steps(pbx, channel)
    finally:
        channel.context, channel.exten, channel.priority = saved
        for name, _ in local:
            channel.variables.pop(name, None)
    if returned is None:
        log.info(
            "%s Abnormal 'Gosub(%s,%s,%d)' exit.  Popping routine return locations.",
            channel.name,
            context,
            exten,
            priority,
        )
        pbx.set_channel_var(channel, "GOSUB_RETVAL", "")
        return False
    pbx.set_channel_var(channel, "GOSUB_RETVAL", returned)
    return True


async def _subroutine_steps(pbx: SimPBX, channel: SimChannel) -> str | None:
    """The routine's steps; Return()'s value, or None if it ended any other way."""
    while not channel.interrupted.is_set():
        step = pbx.dialplan.step(channel.context, channel.exten, channel.priority)
        if step is None:
            return None
        app = await _exec_step(pbx, channel, step)
        if app is None:
            channel.priority += 1
            continue
        try:
            target = await app(pbx, channel, channel.app_data)
        except SubroutineReturn as done:
            return done.value
        except ChannelInterruptedError:
            return None
        if channel.interrupted.is_set():
            return None
        if target is None:
            channel.priority += 1
            continue
        context, exten, priority_text = target
        priority = pbx.dialplan.resolve_priority(context, exten, priority_text)
        if priority is None or pbx.dialplan.step(context, exten, priority) is None:
            return None
        channel.context, channel.exten, channel.priority = context, exten, priority
    return None

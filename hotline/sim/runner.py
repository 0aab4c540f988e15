"""The dialplan interpreter loop for one channel: find the step, expand its arguments,
emit Newexten, run the application, then follow Goto, Redirect or hangup."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from hotline.sim.apps import APPS
from hotline.sim.channel import ChannelInterruptedError, SimChannel
from hotline.sim.events import CALL, DIALPLAN, channel_event

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
    """Run `channel` from its context/exten/priority until it hangs up."""
    channel.runs_dialplan = True
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
                channel.priority += 1
                continue
            try:
                target = await app(pbx, channel, data)
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
    finally:
        if channel.hung_up_by in ("caller", "operator"):
            # the pbx ends a channel whose peer went away with one more soft hangup (ami/09,
            # ami/11, ami/12); a dialplan or AMI hangup has already said it
            pbx.emit(channel_event("SoftHangupRequest", CALL, channel, ("Cause", "16")))
        pbx.finish_channel(
            channel, channel.hangup_cause if channel.hangup_cause is not None else 16
        )

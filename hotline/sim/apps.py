"""The dialplan applications hotline's extensions.conf uses, run by hotline.sim.runner.

Each application returns None (go on with the next priority) or a Goto target
(context, exten, priority-or-label). A hangup or Redirect while it waits raises
ChannelInterruptedError out of it; the runner then does what Asterisk does.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from hotline.sim.channel import ChannelInterruptedError, SimChannel
from hotline.sim.classic_agi import run_classic_agi
from hotline.sim.dial import run_dial
from hotline.sim.dialplan import goto_target, split_condition
from hotline.sim.events import CALL, channel_event, varset
from hotline.sim.fastagi_client import run_agi

if TYPE_CHECKING:
    from hotline.sim.pbx import SimPBX

log = logging.getLogger("hotline.sim.pbx")

Target = tuple[str, str, str]
App = Callable[["SimPBX", SimChannel, str], Awaitable[Target | None]]


def condition_is_true(condition: str) -> bool:
    """pbx_checkcondition: empty is false, a number is its value, any other text is true."""
    text = condition.strip()
    if not text:
        return False
    try:
        return float(text) != 0
    except ValueError:
        return True


async def app_answer(pbx: SimPBX, channel: SimChannel, data: str) -> Target | None:
    pbx.answer(channel)
    return None


async def app_noop(pbx: SimPBX, channel: SimChannel, data: str) -> Target | None:
    return None


async def app_set(pbx: SimPBX, channel: SimChannel, data: str) -> Target | None:
    name, sep, value = data.partition("=")
    if not sep:
        log.warning("Set: ignoring, no value given: %s", data)
        return None
    pbx.set_channel_var(channel, name.strip(), value)
    return None


async def app_goto(pbx: SimPBX, channel: SimChannel, data: str) -> Target | None:
    return goto_target(data, channel.context, channel.exten)


async def app_gotoif(pbx: SimPBX, channel: SimChannel, data: str) -> Target | None:
    condition, if_true, if_false = split_condition(data)
    branch = if_true if condition_is_true(condition) else if_false
    return goto_target(branch, channel.context, channel.exten) if branch else None


async def app_agi(pbx: SimPBX, channel: SimChannel, data: str) -> Target | None:
    if data.strip().lower().startswith("agi://"):
        await run_agi(pbx, channel, data)
    else:
        await run_classic_agi(pbx, channel, data, pbx.agi_dir, pbx.agi_env)
    return None


def _seconds(text: str, app: str) -> float | None:
    """A duration argument; empty or invalid means no limit, as Asterisk warns."""
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        log.warning("Invalid %s duration '%s'. Will wait indefinitely.", app, text)
        return None
    return value if value > 0 else None


async def app_music_on_hold(pbx: SimPBX, channel: SimChannel, data: str) -> Target | None:
    moh_class, _, duration = data.partition(",")
    seconds = _seconds(duration, "MusicOnHold")
    pbx.start_moh(channel, moh_class.strip() or "default")
    pbx.hold_started(channel)
    try:
        await channel.pause(pbx.clock, seconds)
    finally:
        pbx.stop_moh(channel)
        pbx.hold_stopped(channel)
    return None


async def app_wait(pbx: SimPBX, channel: SimChannel, data: str) -> Target | None:
    seconds = _seconds(data, "Wait")
    if seconds is not None:  # Wait() of nothing or garbage returns at once
        await channel.pause(pbx.clock, seconds)
    return None


async def app_playback(pbx: SimPBX, channel: SimChannel, data: str) -> Target | None:
    status = "SUCCESS"
    for name in data.split(",")[0].split("&"):
        duration = pbx.sounds.duration_s(name)
        if duration is None:
            log.warning("ast_streamfile: File %s does not exist in any format", name)
            status = "FAILED"
            continue
        pbx.stop_moh(channel)
        await channel.pause(pbx.clock, duration)
    pbx.emit(varset(channel, "PLAYBACKSTATUS", status))
    return None


async def app_hangup(pbx: SimPBX, channel: SimChannel, data: str) -> Target | None:
    cause = int(data) if data.strip().isdigit() else 16
    pbx.emit(channel_event("SoftHangupRequest", CALL, channel, ("Cause", "16")))
    channel.request_hangup(cause, "system")
    raise ChannelInterruptedError


async def app_dial(pbx: SimPBX, channel: SimChannel, data: str) -> Target | None:
    await run_dial(pbx, channel, data)
    return None


class SubroutineReturn(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Return(value): leaves the subroutine hotline.sim.runner.run_subroutine runs. Outside
    a subroutine it ends the channel, as Asterisk's "Return without Gosub" does."""

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value


async def app_return(pbx: SimPBX, channel: SimChannel, data: str) -> Target | None:
    raise SubroutineReturn(data)


APPS: dict[str, App] = {
    "answer": app_answer,
    "noop": app_noop,
    "set": app_set,
    "goto": app_goto,
    "gotoif": app_gotoif,
    "agi": app_agi,
    "musiconhold": app_music_on_hold,
    "wait": app_wait,
    "playback": app_playback,
    "hangup": app_hangup,
    "dial": app_dial,
    "return": app_return,
}

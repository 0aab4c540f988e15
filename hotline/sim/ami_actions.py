"""The AMI actions other than logging in and out, as Asterisk 22's manager.c runs them.

Each action takes the session and the request, sends its reply, and returns False when
the session must end. Messages are manager.c's, word for word. The session and its
server (hotline.sim.ami_server) look the handlers up in `ACTION_HANDLERS`; the actions
open to a client that has not logged in are in hotline.sim.ami_auth.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from hotline.sim import ami_wire as wire
from hotline.sim.ami_wire import Headers
from hotline.sim.errors import NoSuchChannel

if TYPE_CHECKING:
    from hotline.sim.ami_server import AmiServer, AmiSession, PbxBackend

# Logged under the server's name, as before the actions had a module of their own, so
# one logger setting still covers all of the AMI server.
log = logging.getLogger("hotline.sim.ami_server")

ASTERISK_VERSION_LINE = (
    "Asterisk 22.10.1 built by root @ vm on a x86_64 running Linux on 2026-11-22 02:47:19 UTC"
)
DEFAULT_ORIGINATE_TIMEOUT_MS = 30_000
# AMI Hangup without a usable Cause: the channel ends with Normal Clearing.
DEFAULT_HANGUP_CAUSE = 16
_CALL = wire.EVENT_FLAGS["call"]
_SYSTEM = wire.EVENT_FLAGS["system"]
_C_INT = re.compile(r"\s*([+-]?\d+)")

Handler = Callable[["AmiSession", wire.Request], Awaitable[bool]]


def ack(session: AmiSession, request: wire.Request, *fields: tuple[str, str]) -> bool:
    session.send(wire.response("Success", request.header("ActionID"), *fields))
    return True


def error(session: AmiSession, request: wire.Request, message: str) -> bool:
    session.send(wire.response("Error", request.header("ActionID"), ("Message", message)))
    return True


def _c_int(text: str) -> int | None:
    """`sscanf("%d")`: the leading integer of `text`, or None."""
    match = _C_INT.match(text)
    return int(match.group(1)) if match else None


async def _ping(session: AmiSession, request: wire.Request) -> bool:
    stamp = wire.ping_timestamp(session.server.clock.now())
    return ack(session, request, ("Ping", "Pong"), ("Timestamp", stamp))


async def _events(session: AmiSession, request: wire.Request) -> bool:
    mask = wire.event_mask(request.header("EventMask"))
    if mask is None:
        return error(session, request, "Invalid event mask")
    session.event_mask = mask
    return ack(session, request, ("Events", "On" if mask > 0 else "Off"))


async def _user_event(session: AmiSession, request: wire.Request) -> bool:
    # manager.c copies every request line except Action: and UserEvent: verbatim,
    # the client's ActionID included.
    name = request.header("UserEvent")
    copied = [
        line for line in request.lines if not line.lower().startswith(("userevent:", "action:"))
    ]
    lines = ["Event: UserEvent", "Privilege: user,all", f"UserEvent: {name}", *copied]
    ack(session, request, ("Message", "Event Sent"))
    session.server.broadcast(wire.EVENT_FLAGS["user"], wire.encode_lines(lines))
    return True


async def _originate(session: AmiSession, request: wire.Request) -> bool:
    channel = request.header("Channel")
    if not channel:
        return error(session, request, "Channel not specified")
    timeout_text = request.header("Timeout")
    timeout_ms = _c_int(timeout_text) if timeout_text else DEFAULT_ORIGINATE_TIMEOUT_MS
    if timeout_ms is None:
        return error(session, request, "Invalid timeout")
    if "/" not in channel:
        return error(session, request, "Invalid channel")
    if _needs_system(request) and not session.rights.may_write(_SYSTEM):
        return error(session, request, "Originate Access Forbidden: Application")
    attempt = _OriginateAttempt(session.server.backend, request, timeout_ms)
    if request.header("Async").lower() in {"yes", "true", "y", "t", "1", "on"}:
        ack(session, request, ("Message", "Originate successfully queued"))
        session.server.spawn(_report_originate(session.server, request, attempt))
        return True
    # Synchronous: the session does nothing else until the outcome is known.
    outcome = await attempt.run()
    if outcome[0] == "Success":
        return ack(session, request, ("Message", "Originate successfully queued"))
    return error(session, request, "Originate failed")


def _needs_system(request: wire.Request) -> bool:
    """manager.c's action_originate: an Application that can reach a shell (System,
    TrySystem, Exec, AGI, MixMonitor, ExternalIVR, Originate) needs the `system` right
    on top of `originate`."""
    app = request.header("Application").lower()
    return any(word in app for word in _SHELL_APPS)


_SHELL_APPS = ("system", "exec", "agi", "mixmonitor", "externalivr", "originate")
_Outcome = tuple[str, int, str, str | None]  # response, reason, channel, uniqueid


class _OriginateAttempt:
    """One Originate handed to the PBX, with its arguments taken from the request."""

    def __init__(self, backend: PbxBackend, request: wire.Request, timeout_ms: int) -> None:
        self.backend = backend
        self.request = request
        self.timeout_ms = timeout_ms

    async def run(self) -> _Outcome:
        header = self.request.header
        try:
            result = await self.backend.originate(
                header("Channel"),
                context=header("Context") or None,
                exten=header("Exten") or None,
                priority=header("Priority") or None,
                application=header("Application") or None,
                data=header("Data") or None,
                variables=wire.parse_variables(self.request.all("Variable")),
                caller_id=header("CallerID") or None,
                timeout_ms=self.timeout_ms,
                channel_id=header("ChannelId") or None,
            )
        except Exception:
            log.exception("Originate of %s failed in the PBX", header("Channel"))
            return ("Failure", 0, "", None)
        return (result.response, result.reason, result.channel, result.uniqueid)


async def _report_originate(
    server: AmiServer, request: wire.Request, attempt: _OriginateAttempt
) -> None:
    response, reason, channel, uniqueid = await attempt.run()
    if response != "Success":
        # No channel survived: Asterisk repeats the requested one (fast_originate).
        channel, uniqueid = request.header("Channel"), None
    name, number = wire.parse_callerid(request.header("CallerID"))
    event: Headers = [("Event", "OriginateResponse"), ("Privilege", "call,all")]
    if request.header("ActionID"):
        event.append(("ActionID", request.header("ActionID")))
    event.append(("Response", response))
    event.append(("Channel", channel))
    if request.header("Application"):
        event += [("Application", request.header("Application")), ("Data", request.header("Data"))]
    else:
        event += [("Context", request.header("Context")), ("Exten", request.header("Exten"))]
    event += [
        ("Reason", str(reason)),
        ("Uniqueid", uniqueid or "<unknown>"),
        ("CallerIDNum", number or "<unknown>"),
        ("CallerIDName", name or "<unknown>"),
    ]
    server.broadcast(_CALL, wire.encode(event))


async def _redirect(session: AmiSession, request: wire.Request) -> bool:
    channel, context = request.header("Channel"), request.header("Context")
    exten, priority = request.header("Exten"), request.header("Priority")
    for value, what in ((channel, "Channel"), (context, "Context"), (exten, "Exten")):
        if not value:
            return error(session, request, f"{what} not specified")
    if not priority:
        return error(session, request, "Priority not specified")
    number = _c_int(priority)
    if number is not None and number < 1:
        return error(session, request, "Priority is invalid")
    # A label priority goes to the PBX as written; it resolves labels itself.
    target = str(number) if number is not None else priority
    if not session.server.backend.redirect(channel, context, exten, target):
        return error(session, request, f"Channel does not exist: {channel}")
    return ack(session, request, ("Message", "Redirect successful"))


def _hangup_cause(text: str) -> int:
    """manager.c accepts a whole number 0..127; anything else means no cause."""
    if text.isdigit() and 0 < int(text) <= 127:
        return int(text)
    return DEFAULT_HANGUP_CAUSE


async def _hangup(session: AmiSession, request: wire.Request) -> bool:
    target = request.header("Channel")
    if not target:
        return error(session, request, "No channel specified")
    cause = _hangup_cause(request.header("Cause"))
    backend = session.server.backend
    if not target.startswith("/"):
        if not backend.hangup(target, cause):
            return error(session, request, "No such channel")
        return ack(session, request, ("Message", "Channel Hungup"))
    if len(target) < 2 or not target.endswith("/"):
        return error(session, request, "Regex format invalid, Channel param should be /regex/")
    try:
        pattern = re.compile(target[1:-1])
    except re.error:
        return error(session, request, f"Regex compile failed on: {target}")
    return _hangup_matching(session, request, pattern, cause)


def _hangup_matching(
    session: AmiSession, request: wire.Request, pattern: re.Pattern[str], cause: int
) -> bool:
    action_id = request.header("ActionID")
    backend = session.server.backend
    session.send(
        wire.response(
            "Success",
            action_id,
            ("EventList", "start"),
            ("Message", "Channels hung up will follow"),
        )
    )
    names = [dict(snapshot).get("Channel", "") for snapshot in backend.channel_snapshots()]
    count = 0
    for name in names:
        if pattern.search(name) and backend.hangup(name, cause):
            count += 1
            item = [("Event", "ChannelHungup"), ("Channel", name)]
            session.send(item + ([("ActionID", action_id)] if action_id else []))
    session.send(_list_complete("ChannelsHungupListComplete", action_id, count))
    return True


def _list_complete(event: str, action_id: str, count: int, *extra: tuple[str, str]) -> Headers:
    head = [("Event", event)] + ([("ActionID", action_id)] if action_id else [])
    return [*head, ("EventList", "Complete"), ("ListItems", str(count)), *extra]


def _channel_or_none(session: AmiSession, request: wire.Request) -> tuple[bool, str | None]:
    """(known, channel): a named channel must exist; no name means globals."""
    channel = request.header("Channel")
    if channel and not session.server.backend.has_channel(channel):
        return False, None
    return True, channel or None


async def _getvar(session: AmiSession, request: wire.Request) -> bool:
    variable = request.header("Variable")
    if not variable:
        return error(session, request, "No variable specified")
    known, channel = _channel_or_none(session, request)
    try:
        if not known:
            raise NoSuchChannel(request.header("Channel"))
        value = session.server.backend.getvar(channel, variable)
    except (KeyError, NoSuchChannel):
        return error(session, request, "No such channel")
    return ack(session, request, ("Variable", variable), ("Value", value or ""))


async def _setvar(session: AmiSession, request: wire.Request) -> bool:
    variable = request.header("Variable")
    if not variable:
        return error(session, request, "No variable specified")
    known, channel = _channel_or_none(session, request)
    try:
        if not known:
            raise NoSuchChannel(request.header("Channel"))
        session.server.backend.setvar(channel, variable, request.header("Value"))
    except (KeyError, NoSuchChannel):
        return error(session, request, "No such channel")
    return ack(session, request, ("Message", "Variable Set"))


async def _core_show_channels(session: AmiSession, request: wire.Request) -> bool:
    action_id = request.header("ActionID")
    items = session.server.backend.channel_snapshots()
    ack(session, request, ("EventList", "start"), ("Message", "Channels will follow"))
    id_line = [("ActionID", action_id)] if action_id else []
    for snapshot in items:
        session.send([("Event", "CoreShowChannel"), *id_line, *snapshot])
    session.send(_list_complete("CoreShowChannelsComplete", action_id, len(items)))
    return True


async def _status(session: AmiSession, request: wire.Request) -> bool:
    action_id = request.header("ActionID")
    wanted = request.header("Channel")
    items = session.server.backend.channel_snapshots()
    if wanted:
        items = [item for item in items if dict(item).get("Channel") == wanted]
        if not items:
            return error(session, request, "No such channel")
    ack(session, request, ("EventList", "start"), ("Message", "Channel status will follow"))
    for snapshot in items:
        session.send(wire.status_item(snapshot, action_id))
    count = str(len(items))
    session.send(_list_complete("StatusComplete", action_id, len(items), ("Items", count)))
    return True


async def _command(session: AmiSession, request: wire.Request) -> bool:
    command = request.header("Command")
    if not command:
        return error(session, request, "No command provided")
    output = _cli(session.server, " ".join(command.split()))
    kind = "Success" if output is not None else "Error"
    if output is None:
        output = [
            f"No such command '{command}' (type 'core show help {command}' "
            "for other possible commands)"
        ]
    fields = [("Message", "Command output follows"), *(("Output", line) for line in output)]
    session.send(wire.response(kind, request.header("ActionID"), *fields))
    return True


def _cli(server: AmiServer, command: str) -> list[str] | None:
    """The few CLI commands the simulator knows; None for any other."""
    if command == "core show version":
        return [ASTERISK_VERSION_LINE]
    if command == "core show channels count":
        snapshots = server.backend.channel_snapshots()
        channels = len(snapshots)
        calls = len({dict(item).get("Linkedid", "") for item in snapshots})
        processed = server.calls_processed
        return [
            f"{channels} active channel{'' if channels == 1 else 's'}",
            f"{calls} active call{'' if calls == 1 else 's'}",
            f"{processed} call{'' if processed == 1 else 's'} processed",
        ]
    return None


ACTION_HANDLERS: dict[str, Handler] = {
    "ping": _ping,
    "events": _events,
    "userevent": _user_event,
    "originate": _originate,
    "redirect": _redirect,
    "hangup": _hangup,
    "getvar": _getvar,
    "setvar": _setvar,
    "coreshowchannels": _core_show_channels,
    "status": _status,
    "command": _command,
}

_FLAG = wire.EVENT_FLAGS
#: The classes each action is registered with in Asterisk 22's manager.c
#: (`ast_manager_register_xml_core`): a user needs one of them in `write`; 0 is open to
#: every logged-in user.
ACTION_AUTHORITY: dict[str, int] = {
    "ping": 0,
    "events": 0,
    "userevent": _FLAG["user"],
    "originate": _FLAG["originate"],
    "redirect": _FLAG["call"],
    "hangup": _FLAG["system"] | _FLAG["call"],
    "getvar": _FLAG["call"] | _FLAG["reporting"],
    "setvar": _FLAG["call"],
    "coreshowchannels": _FLAG["system"] | _FLAG["reporting"],
    "status": _FLAG["system"] | _FLAG["call"] | _FLAG["reporting"],
    "command": _FLAG["command"],
}

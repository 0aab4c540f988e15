"""AMI event builders with Asterisk 22's field order (see ../shared/asterisk-reference/ami).

Every event is an ordered list of headers starting with ("Event", X), ("Privilege", Y).
Channel events carry the snapshot (Channel..Linkedid) right after Privilege; two-party
events add the peer's snapshot with a `Dest` prefix; bridge events put the bridge fields
first. Empty caller-id fields print as `<unknown>`, an empty AccountCode as an empty value.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline.sim.channel import STATE_DESC, SimChannel

Headers = list[tuple[str, str]]

CALL, DIALPLAN, AGI, DTMF = "call,all", "dialplan,all", "agi,all", "dtmf,all"

CAUSE_TEXT = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    3: "No route to destination",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    21: "Call Rejected",
    34: "Circuit/channel congestion",
}


def cause_text(cause: int) -> str:
    return CAUSE_TEXT.get(cause, "Unknown")


def _or_unknown(value: str) -> str:
    return value or "<unknown>"


def snapshot(channel: SimChannel, prefix: str = "") -> Headers:
    """The channel snapshot block, optionally prefixed (`Dest`, `LocalOne`...)."""
    fields = [
        ("Channel", channel.name),
        ("ChannelState", str(channel.state)),
        ("ChannelStateDesc", STATE_DESC.get(channel.state, "Unknown")),
        ("CallerIDNum", _or_unknown(channel.cid_num)),
        ("CallerIDName", _or_unknown(channel.cid_name)),
        ("ConnectedLineNum", _or_unknown(channel.connected_num)),
        ("ConnectedLineName", _or_unknown(channel.connected_name)),
        ("Language", channel.language),
        ("AccountCode", channel.accountcode),
        ("Context", channel.context),
        ("Exten", channel.exten),
        ("Priority", str(channel.priority)),
        ("Uniqueid", channel.uniqueid),
        ("Linkedid", channel.linkedid),
    ]
    return [(prefix + key, value) for key, value in fields]


def channel_event(
    name: str, privilege: str, channel: SimChannel, *extra: tuple[str, str]
) -> Headers:
    return [("Event", name), ("Privilege", privilege), *snapshot(channel), *extra]


def dial_event(
    name: str, caller: SimChannel | None, dest: SimChannel, *extra: tuple[str, str]
) -> Headers:
    """DialBegin/DialState/DialEnd: caller snapshot (absent for Originate), then Dest*."""
    head: Headers = [("Event", name), ("Privilege", CALL)]
    if caller is not None:
        head += snapshot(caller)
    return [*head, *snapshot(dest, "Dest"), *extra]


def varset(channel: SimChannel, variable: str, value: str) -> Headers:
    return channel_event("VarSet", DIALPLAN, channel, ("Variable", variable), ("Value", value))


def global_varset(variable: str, value: str) -> Headers:
    """A global VarSet has no snapshot, only `Channel: none` / `Uniqueid: none`."""
    return [
        ("Event", "VarSet"),
        ("Privilege", DIALPLAN),
        ("Channel", "none"),
        ("Uniqueid", "none"),
        ("Variable", variable),
        ("Value", value),
    ]


def hangup(channel: SimChannel, cause: int) -> Headers:
    return channel_event(
        "Hangup", CALL, channel, ("Cause", str(cause)), ("Cause-txt", cause_text(cause))
    )


@dataclass
class SimBridge:
    """A basic two-party bridge as Dial creates it."""

    uniqueid: str
    num_channels: int = 0


def bridge_fields(bridge: SimBridge) -> Headers:
    return [
        ("BridgeUniqueid", bridge.uniqueid),
        ("BridgeType", "basic"),
        ("BridgeTechnology", "simple_bridge"),
        ("BridgeCreator", "<unknown>"),
        ("BridgeName", "<unknown>"),
        ("BridgeNumChannels", str(bridge.num_channels)),
        ("BridgeVideoSourceMode", "none"),
    ]


def bridge_event(name: str, bridge: SimBridge, channel: SimChannel | None = None) -> Headers:
    head: Headers = [("Event", name), ("Privilege", CALL), *bridge_fields(bridge)]
    return head if channel is None else [*head, *snapshot(channel)]


def core_show_channel(channel: SimChannel, now: float) -> Headers:
    """A CoreShowChannels item without Event/ActionID (the AMI server adds those)."""
    seconds = max(0, int(now - channel.created_at))
    duration = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return [
        *snapshot(channel),
        ("Application", channel.application),
        ("ApplicationData", channel.app_data),
        ("Duration", duration),
        ("BridgeId", channel.bridge_id),
    ]


@dataclass(frozen=True)
class OriginateResult:
    """What SimPBX.originate reports; `reason` uses Asterisk's codes (4 answered, 0 no such
    extension/technology, 3 no answer, 5 busy, 8 congestion)."""

    response: str
    reason: int
    channel: str
    uniqueid: str | None
    caller_id_num: str = ""
    caller_id_name: str = ""


def originate_response(
    result: OriginateResult, action_id: str | None, context: str, exten: str
) -> Headers:
    """`Event: OriginateResponse` as Asterisk sends it after an async Originate.

    Success names the created channel; Failure repeats the requested channel string and
    says `Uniqueid: <unknown>`. ActionID comes right after Privilege when given.
    """
    head: Headers = [("Event", "OriginateResponse"), ("Privilege", CALL)]
    if action_id is not None:
        head.append(("ActionID", action_id))
    return [
        *head,
        ("Response", result.response),
        ("Channel", result.channel),
        ("Context", context),
        ("Exten", exten),
        ("Reason", str(result.reason)),
        ("Uniqueid", result.uniqueid or "<unknown>"),
        ("CallerIDNum", _or_unknown(result.caller_id_num)),
        ("CallerIDName", _or_unknown(result.caller_id_name)),
    ]

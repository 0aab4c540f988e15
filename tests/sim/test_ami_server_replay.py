"""Replays real Asterisk 22 AMI captures against the simulator's AMI server.

For each scenario in ../shared/asterisk-reference/ami, the client's bytes are sent as
they were captured, write by write, each one only after our server has sent as many
compared messages as Asterisk had sent at that point. Then every compared message must
equal Asterisk's, byte for byte, after the normalisations listed in NORMALISATIONS.

Compared messages are the ones the AMI layer itself writes: the banner, every
`Response:` (with its event-list items) and the events manager.c makes (FullyBooted,
SuccessfulAuth, RequestBadFormat, UserEvent, OriginateResponse). Channel events come
from the PBX engine, which a fake stands in for here, so they are left out on both sides.

The fake PBX is set up from the capture: the uptime Asterisk reported, its channels
(the CoreShowChannels items, or else the Newchannel snapshots), the outcome of each
Originate and the variable values Getvar read. An async Originate's outcome is released
at the point where Asterisk sent its OriginateResponse, since when a call gets answered
is the PBX's business. So these tests check what the AMI layer
does with the PBX's answers (framing, field order, ActionID placement, messages), not
the PBX.
"""

from __future__ import annotations

import asyncio
import random
import re
from pathlib import Path

import pytest
from test_ami_server_fakes import AmiTestClient, FakeOriginateResult, FakePbx

from hotline.clock import ScaledClock
from hotline.sim.ami_server import AmiServer
from hotline.sim.ami_wire import Headers
from hotline.sim.transcripts import Record, load_transcript

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = REPO_ROOT.parent / "shared" / "asterisk-reference"
USERS = {"ivrtest": "ivrtest-secret"}

# Everything that may differ between two correct runs, and nothing else.
NORMALISATIONS = [
    # wall-clock time of a security event
    (re.compile(rb"\r\nEventTV: [^\r]*"), b"\r\nEventTV: <time>"),
    # wall-clock time of the login
    (re.compile(rb"\r\nSessionTV: [^\r]*"), b"\r\nSessionTV: <time>"),
    # a C pointer in Asterisk, a Python id() here
    (re.compile(rb"\r\nSessionID: 0x[0-9a-f]+"), b"\r\nSessionID: <pointer>"),
    # the ports of the two ends (Asterisk listened on 5038, we bind port 0)
    (
        re.compile(rb"\r\n(Local|Remote)Address: (IPV4/TCP/127\.0\.0\.1)/\d+"),
        rb"\r\n\1Address: \2/<port>",
    ),
    # the Ping reply's clock reading
    (re.compile(rb"\r\nTimestamp: \d+\.\d{6}\r\n"), b"\r\nTimestamp: <epoch.micros>\r\n"),
]

AMI_LAYER_EVENTS = {
    "FullyBooted",
    "SuccessfulAuth",
    "RequestBadFormat",
    "UserEvent",
    "OriginateResponse",
    "CoreShowChannel",
    "CoreShowChannelsComplete",
    "Status",
    "StatusComplete",
    "ChannelHungup",
    "ChannelsHungupListComplete",
}

SCENARIOS = [
    "01", "02a", "02b", "02c", "02d", "03", "04", "05", "06", "07", "08", "09", "10",
    "11", "12", "15", "16", "17", "18", "19", "20", "21a", "21b", "22", "23a", "23b",
]  # fmt: skip
# Not replayed: 13 and 14 use queue actions (QueueStatus, QueueAdd...), which the
# PbxBackend interface does not offer.


def normalise(message: bytes) -> bytes:
    for pattern, replacement in NORMALISATIONS:
        message = pattern.sub(replacement, message)
    return message


def made_by_ami_layer(message: bytes) -> bool:
    if message.startswith((b"Asterisk Call Manager/", b"Response: ")):
        return True
    first = message.split(b"\r\n", 1)[0]
    return first.startswith(b"Event: ") and first[7:].decode() in AMI_LAYER_EVENTS


def fields(message: bytes) -> Headers:
    lines = message.decode().split("\r\n")
    return [(k, v) for k, _, v in (line.partition(": ") for line in lines if line)]


def reference(scenario: str) -> list[Record]:
    ami = REFERENCE_DIR / "ami"
    if not ami.is_dir():
        pytest.fail(
            f"the Asterisk reference captures are missing: expected {ami} "
            "(../shared/asterisk-reference next to the repository)"
        )
    (path,) = ami.glob(f"{scenario}-*.txt")
    _, records = load_transcript(path)
    # The transcript holds exactly the bytes of the raw captures, split per write.
    raw = ami / "raw" / path.name.replace(".txt", "")
    for direction, suffix in (("client->server", "client"), ("server->client", "server")):
        joined = b"".join(r.payload for r in records if r.direction == direction)
        assert joined == raw.with_name(f"{raw.name}.{suffix}.raw").read_bytes()
    return records


class FixedChallenge(random.Random):
    """Hands out the challenge Asterisk sent, so the captured MD5 Key is valid."""

    def __init__(self, challenge: int) -> None:
        super().__init__(0)
        self.challenge = challenge

    def getrandbits(self, k: int, /) -> int:
        return self.challenge


def fake_pbx_for(records: list[Record]) -> tuple[FakePbx, random.Random]:
    sent = [fields(r.payload) for r in records if r.direction == "client->server"]
    got = [fields(r.payload) for r in records if r.direction == "server->client"][1:]
    replies = {dict(m).get("ActionID"): dict(m) for m in got if m[0][0] == "Response"}
    pbx = FakePbx()
    challenge = 0
    for message in got:
        head, body = dict(message), message[2:]
        if head.get("Event") == "FullyBooted":
            pbx.uptime = float(head["Uptime"])
        if head.get("Response") == "Success" and "Challenge" in head:
            challenge = int(head["Challenge"])
        if head.get("Event") == "CoreShowChannel" and head["Channel"] not in pbx.channels:
            pbx.channels[head["Channel"]] = body
    if not pbx.channels:
        # Asterisk's channel container happened to iterate newest first here (ami/16).
        created = [m for m in got if dict(m).get("Event") == "Newchannel"]
        for message in reversed(created):
            pbx.channels[dict(message)["Channel"]] = message[2:]
    for request in map(dict, sent):
        reply = replies.get(request.get("ActionID"), {})
        if request.get("Action") == "Originate" and "Channel" in request:
            pbx.outcomes.setdefault(request["Channel"], []).append(
                originate_outcome(got, request, reply)
            )
    return pbx, FixedChallenge(challenge)


def originate_outcome(
    got: list[Headers], request: dict[str, str], reply: dict[str, str]
) -> FakeOriginateResult:
    for message in map(dict, got):
        if message.get("Event") == "OriginateResponse" and message.get("ActionID") == request.get(
            "ActionID"
        ):
            uniqueid = message["Uniqueid"]
            return FakeOriginateResult(
                message["Response"],
                int(message["Reason"]),
                message["Channel"],
                None if uniqueid == "<unknown>" else uniqueid,
            )
    failed = reply.get("Message") == "Originate failed"
    return FakeOriginateResult("Failure" if failed else "Success", 0 if failed else 4, "", None)


def set_variable_read_next(pbx: FakePbx, request: Record, records: list[Record]) -> None:
    """Give the variable a Getvar is about to read the value Asterisk answered."""
    action = dict(fields(request.payload))
    if action.get("Action") != "Getvar" or "Variable" not in action:
        return
    for record in records:
        reply = dict(fields(record.payload)) if record.direction == "server->client" else {}
        if reply.get("ActionID") == action.get("ActionID") and reply.get("Response") == "Success":
            pbx.variables[(action.get("Channel"), action["Variable"])] = reply["Value"]


def originate_numbers(records: list[Record]) -> dict[str, int]:
    """ActionID -> n for the async Originates that reach the PBX (the n-th call)."""
    requests = [dict(fields(r.payload)) for r in records if r.direction == "client->server"]
    calls = [r for r in requests if r.get("Action") == "Originate" and r.get("Channel")]
    return {r["ActionID"]: n for n, r in enumerate(calls) if r.get("Async") == "true"}


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_replay_matches_asterisk(scenario: str) -> None:
    records = reference(scenario)
    pbx, rng = fake_pbx_for(records)
    server = AmiServer(pbx, USERS, ScaledClock(speed=1000), rng=rng)
    port = await server.start()
    originates = originate_numbers(records)
    for number in originates.values():
        pbx.gates[number] = asyncio.Event()
    client = await AmiTestClient.connect(port)
    try:
        expected: list[bytes] = []
        for record in records:
            if record.direction == "server->client" and made_by_ami_layer(record.payload):
                head = dict(fields(record.payload))
                if head.get("Event") == "OriginateResponse":
                    await client.wait_count(len(expected), made_by_ami_layer)
                    pbx.gates[originates[head["ActionID"]]].set()
                expected.append(record.payload)
            elif record.direction == "client->server":
                await client.wait_count(len(expected), made_by_ami_layer)
                set_variable_read_next(pbx, record, records)
                await client.send(record.payload)
        assert records[-1].direction == "EOF(server closed)"
        received = [m for m in await client.read_to_eof() if made_by_ami_layer(m)]
    finally:
        await client.close()
        await server.close()
    assert [normalise(m) for m in received] == [normalise(m) for m in expected]


def test_normalisations_leave_the_rest_alone() -> None:
    message = (
        b"Event: SuccessfulAuth\r\nEventTV: 2026-11-22T02:53:36.941+0000\r\n"
        b"SessionID: 0x7f4b04001c30\r\nRemoteAddress: IPV4/TCP/127.0.0.1/37306\r\n"
        b"UsingPassword: 0\r\n\r\n"
    )
    assert normalise(message) == (
        b"Event: SuccessfulAuth\r\nEventTV: <time>\r\nSessionID: <pointer>\r\n"
        b"RemoteAddress: IPV4/TCP/127.0.0.1/<port>\r\nUsingPassword: 0\r\n\r\n"
    )

"""A remote operator (a mobile through the trunk) takes a call only by pressing 1: their
voicemail must never swallow a caller. Through the whole controller and the simulated PBX
running the shipped dialplan ([hotline-connect] with HOTLINE_CONFIRM, [hotline-confirm])."""

from __future__ import annotations

import pytest

from hotline.agi.session import AgiSession
from hotline.controller.confirm import confirm_required
from hotline.records import Outcome
from hotline.sim import SimCaller, SimOperator

from .conftest import AT_10, Rig, RigFactory, hotline_400_100, streamed, talks

# 2 Russian, then 1 social payments: queue social-payments-ru.
RU_SOCIAL = ["2", "1"]
PATIENT = 600.0
# op04 and op05 of 400-100 are reached through the trunk (PJSIP/+7...@trunk): remote.
TRUNK = "PJSIP/trunk"


def dial_ends(rig: Rig, channel: str) -> list[tuple[str, str]]:
    """(operator leg prefix, DialStatus) of every Dial the caller's channel made."""
    return [
        (e["DestChannel"].rsplit("-", 1)[0], e["DialStatus"])
        for e in rig.events.matching("DialEnd", Channel=channel)
    ]


def legs(rig: Rig, channel: str) -> list[str]:
    return [e["DestChannel"] for e in rig.events.matching("DialBegin", Channel=channel)]


def test_who_must_press_1() -> None:
    hotline = hotline_400_100()
    desk, mobile = hotline.operator("op01"), hotline.operator("op04")
    assert hotline.remote_trunks == ["trunk"]
    assert (confirm_required(hotline, desk), confirm_required(hotline, mobile)) == (False, True)
    assert confirm_required(hotline, desk.model_copy(update={"remote": True}))


@pytest.mark.parametrize(
    "dial",
    [
        "PJSIP/op01@pbx2",  # a desk phone behind another PBX
        "Local/op01@operators",  # a Local channel into an operators' context
        "Local/+77051110004@trunk",  # not PJSIP: the context is no trunk
        "PJSIP/trunk",  # the trunk endpoint itself, no user
    ],
)
def test_an_at_sign_alone_makes_nobody_remote(dial: str) -> None:
    hotline = hotline_400_100()
    desk = hotline.operator("op01").model_copy(update={"dial": dial})
    assert not confirm_required(hotline, desk)
    assert confirm_required(hotline, desk.model_copy(update={"remote": True}))


@pytest.mark.parametrize(
    ("dial", "trunks", "remote"),
    [
        ("PJSIP/+77051110004@trunk", [], False),  # no trunk configured: explicit only
        ("PJSIP/+77051110004@mobile-gw", ["trunk", "mobile-gw"], True),
        ("PJSIP/mobile-gw/sip:+77051110004@isp.kz", ["mobile-gw"], True),
        ("PJSIP/op01@pbx2", ["trunk"], False),
    ],
)
def test_remote_follows_from_a_configured_trunk(dial: str, trunks: list[str], remote: bool) -> None:
    hotline = hotline_400_100(remote_trunks=trunks)
    operator = hotline.operator("op04").model_copy(update={"dial": dial})
    assert confirm_required(hotline, operator) is remote


async def pause_until_offered(rig: Rig, desk: str) -> None:
    """Keep the desk operator `desk` away until the remote one is asking for the key, so
    that the call is offered to the remote operator first and to `desk` next."""
    await rig.events.first(
        lambda e: e.get("Event") == "AGIExecStart" and e.get("Channel", "").startswith(TRUNK),
        rig.clock,
        120.0,
    )
    await rig.acd.operator_ready(desk, rig.clock.now())
    rig.controller.dispatcher.wake()


async def test_a_remote_operator_who_presses_1_talks_and_the_call_is_answered(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig(
        present={"op04"}, operators={"op04": SimOperator(ring_s=1.0, talk_s=talks(10.0))}
    )
    call = await rig.call(SimCaller(digits=RU_SOCIAL, think_s=0.5, patience_s=PATIENT))
    summary = await rig.within(call.ended)
    records = await rig.settle()

    assert dial_ends(rig, call.channel) == [(TRUNK, "ANSWER")]
    (leg,) = legs(rig, call.channel)
    # the operator heard the caller's language, then "press 1", and pressed 1
    assert streamed(rig, leg) == [
        "hotline/kk/operator-caller-language-ru",
        "hotline/kk/operator-press-1",
    ]
    assert [e["Digit"] for e in rig.events.matching("DTMFEnd", Channel=leg)] == ["1"]
    assert rig.events.matching("BridgeEnter", Channel=call.channel)
    assert summary.hung_up_by == "operator"
    assert summary.operator == "PJSIP/+77051110004@trunk"

    (record,) = records
    assert (record.outcome, record.operator_id) == (Outcome.ANSWERED, "op04")
    assert 8.0 <= record.talk_s <= 16.0, record
    op04 = await rig.acd.operator("op04")
    assert op04 is not None
    assert (op04["misses"], op04["answered"]) == ("0", "1")


@pytest.mark.parametrize(
    ("key", "prompts"),
    [
        # the mobile's voicemail: answers at once and presses nothing; "press 1" twice
        ("", 3),
        # a person who presses another key: not taken at once
        ("2", 2),
    ],
    ids=["voicemail", "another-key"],
)
async def test_a_voicemail_that_answers_sends_the_caller_back_to_hold_for_the_next_operator(
    make_rig: RigFactory, key: str, prompts: int
) -> None:
    rig = await make_rig(
        present={"op01", "op04"},
        operators={
            "op01": SimOperator(ring_s=1.0, talk_s=talks(8.0)),
            "op04": SimOperator(ring_s=0.5, talk_s=talks(60.0), confirm_digits=key),
        },
    )
    await rig.acd.operator_pause("op01", "break", rig.clock.now(), {"break"})
    call = await rig.call(SimCaller(digits=RU_SOCIAL, think_s=0.5, patience_s=PATIENT))
    await pause_until_offered(rig, "op01")
    summary = await rig.within(call.ended)
    records = await rig.settle()

    # Asterisk's DialEnd after GOSUB_RESULT=CONTINUE says CONTINUE; then op01 answers.
    assert dial_ends(rig, call.channel) == [(TRUNK, "CONTINUE"), ("PJSIP/op400-01", "ANSWER")]
    first_end = next(i for i, e in enumerate(rig.events.events) if e.get("Event") == "DialEnd")
    assert any(
        e.get("Event") == "MusicOnHoldStart" and e.get("Channel") == call.channel
        for e in rig.events.events[first_end:]
    ), "the caller went back to the hold music"
    voicemail = legs(rig, call.channel)[0]
    assert streamed(rig, voicemail) == [
        "hotline/kk/operator-caller-language-ru",
        *["hotline/kk/operator-press-1"] * (prompts - 1),
    ]
    assert not rig.events.matching("BridgeEnter", Channel=voicemail)
    assert summary.operator == "PJSIP/op400-01"

    (record,) = records
    assert (record.outcome, record.operator_id) == (Outcome.ANSWERED, "op01")
    op04 = await rig.acd.operator("op04")
    assert op04 is not None
    assert (op04["misses"], op04["answered"]) == ("1", "0")
    state = await rig.acd.call(record.call_id)
    assert state is not None
    assert (state["operator_id"], state["misses"]) == ("op01", "1")


async def test_a_desk_operator_is_connected_without_the_prompt(make_rig: RigFactory) -> None:
    rig = await make_rig(
        present={"op01"}, operators={"op01": SimOperator(ring_s=1.0, talk_s=talks(5.0))}
    )
    call = await rig.call(SimCaller(digits=RU_SOCIAL, think_s=0.5, patience_s=PATIENT))
    await rig.within(call.ended)
    (record,) = await rig.settle()

    assert dial_ends(rig, call.channel) == [("PJSIP/op400-01", "ANSWER")]
    (leg,) = legs(rig, call.channel)
    assert streamed(rig, leg) == []
    assert not [e for e in rig.events.events if e.get("Context") == "hotline-confirm"]
    confirm = rig.events.matching("VarSet", Channel=call.channel, Variable="HOTLINE_CONFIRM")
    assert [e["Value"] for e in confirm] == ["0"]
    assert (record.outcome, record.operator_id) == (Outcome.ANSWERED, "op01")


async def test_a_desk_phone_behind_another_pbx_is_connected_without_the_prompt(
    make_rig: RigFactory,
) -> None:
    """`PJSIP/op01@pbx2` has an `@` but is no trunk of `remote_trunks`: no "press 1"."""
    config = hotline_400_100()
    operators = [
        op.model_copy(update={"dial": "PJSIP/op01@pbx2"}) if op.id == "op01" else op
        for op in config.operators
    ]
    rig = await make_rig(
        hotline=config.model_copy(update={"operators": operators}),
        present={"op01"},
        operators={"op01": SimOperator(ring_s=1.0, talk_s=talks(5.0))},
        start=AT_10.timestamp(),  # Friday 10:00 in Almaty
    )
    call = await rig.call(SimCaller(digits=RU_SOCIAL, think_s=0.5, patience_s=PATIENT))
    await rig.within(call.ended)
    (record,) = await rig.settle()

    confirm = rig.events.matching("VarSet", Channel=call.channel, Variable="HOTLINE_CONFIRM")
    assert [e["Value"] for e in confirm] == ["0"]
    assert not [e for e in rig.events.events if e.get("Context") == "hotline-confirm"]
    assert dial_ends(rig, call.channel) == [("PJSIP/pbx2", "ANSWER")]
    assert (record.outcome, record.operator_id) == (Outcome.ANSWERED, "op01")


@pytest.mark.parametrize("reports", [True, False], ids=["reported", "never-reported"])
async def test_a_remote_operator_gone_during_the_prompt_is_a_miss_and_the_caller_waits_on(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch, reports: bool
) -> None:
    rig = await make_rig(
        present={"op01", "op04"},
        operators={
            "op01": SimOperator(ring_s=1.0, talk_s=talks(8.0)),
            # answers, then hangs up 1.5 s into the prompt without a key
            "op04": SimOperator(
                ring_s=0.5, talk_s=talks(60.0), confirm_digits="", confirm_hangup_s=1.5
            ),
        },
    )
    if not reports:
        # The confirm script cannot reach the controller's state (as with the controller
        # gone): it says nothing, and only the DialEnd that follows tells the dispatcher.
        async def silent(session: AgiSession) -> None:
            await session.wait_for_digit(30_000)  # the operator hangs up meanwhile

        monkeypatch.setitem(rig.controller.agi._handlers, "confirm", silent)
    await rig.acd.operator_pause("op01", "break", rig.clock.now(), {"break"})
    call = await rig.call(SimCaller(digits=RU_SOCIAL, think_s=0.5, patience_s=PATIENT))
    await pause_until_offered(rig, "op01")
    await rig.within(call.ended)
    (record,) = await rig.settle()

    # The routine ended with the operator's hangup, before Return: the GOSUB_RESULT=CONTINUE
    # [hotline-confirm] sets first ends the Dial as "not taken".
    assert dial_ends(rig, call.channel) == [(TRUNK, "CONTINUE"), ("PJSIP/op400-01", "ANSWER")]
    assert (record.outcome, record.operator_id) == (Outcome.ANSWERED, "op01")
    op04 = await rig.acd.operator("op04")
    assert op04 is not None
    assert (op04["misses"], op04["answered"]) == ("1", "0")

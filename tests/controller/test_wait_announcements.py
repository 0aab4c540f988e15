"""Waiting callers hear their place and the expected wait, on entry and at every hold visit,
through the whole controller and the simulated PBX; the record keeps the first prediction."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis.exceptions

from hotline.records import Outcome
from hotline.sim import SimCall, SimCaller, SimOperator

from .conftest import Rig, RigFactory, hotline_400_100, streamed, talks, without_overflow

# 1 Kazakh, 1 payments, then no choice: queue social-payments-kk (aht_s 90 in the shipped
# file). 2 Russian, the same: social-payments-ru (aht_s 90). op01 serves both.
KK_SOCIAL = ["1", "1"]
RU_SOCIAL = ["2", "1"]
PATIENT = 900.0
HOLD_S = 20  # hold_announce_s: a hold visit every 20 s of music
TALK_S = 160.0

# Next in line (nobody ahead), one operator busy: 1 x 90 / 1 = 90 s, "from 1 to 2 minutes":
# "Ваш звонок следующий в очереди. Примерное время ожидания от одной до двух минут."
RU_FIRST = [
    "hotline/ru/position-next",
    "hotline/ru/wait-intro",
    "hotline/ru/range-from",
    "hotline/ru/gen-1-f",
    "hotline/ru/range-to",
    "hotline/ru/gen-2",
    "hotline/ru/minute-5",
]
# Position 2: (1 + 1) x 90 / 1 = 180 s, "from 2 to 4 minutes": "Перед вами один человек.
# Примерное время ожидания от двух до четырёх минут."
RU_SECOND = [
    "hotline/ru/position-before",
    "hotline/ru/num-1",
    "hotline/ru/person-1",
    "hotline/ru/wait-intro",
    "hotline/ru/range-from",
    "hotline/ru/gen-2",
    "hotline/ru/range-to",
    "hotline/ru/gen-4",
    "hotline/ru/minute-5",
]
KK_FIRST = [
    "hotline/kk/position-before",
    "hotline/kk/ord-1",
    "hotline/kk/position-after",
    "hotline/kk/wait-intro",
    "hotline/kk/num-1",
    "hotline/kk/minute-from",
    "hotline/kk/num-2",
    "hotline/kk/minute-until",
]
# The same in Kazakh: "Сіз кезекте екінші орындасыз. Күту уақыты шамамен екі минуттан төрт
# минутқа дейін."
KK_SECOND = [
    "hotline/kk/position-before",
    "hotline/kk/ord-2",
    "hotline/kk/position-after",
    "hotline/kk/wait-intro",
    "hotline/kk/num-2",
    "hotline/kk/minute-from",
    "hotline/kk/num-4",
    "hotline/kk/minute-until",
]


def played(wanted: str, channel: str, times: int) -> Callable[[dict[str, str]], bool]:
    """A predicate for `PbxEvents.first`: true at the `times`-th play of `wanted` on
    `channel` (each event is looked at once, in order)."""
    seen = 0

    def predicate(event: dict[str, str]) -> bool:
        nonlocal seen
        if (
            event.get("Event") == "AGIExecStart"
            and event.get("Channel") == channel
            and event.get("Command", "").startswith("STREAM FILE " + wanted + " ")
        ):
            seen += 1
        return seen >= times

    return predicate


def runs(sounds: list[str], announcement: list[str]) -> int:
    """How many times `announcement` is played whole in `sounds`."""
    size = len(announcement)
    return sum(sounds[i : i + size] == announcement for i in range(len(sounds) - size + 1))


async def one_operator_busy(make_rig: RigFactory) -> tuple[Rig, SimCall]:
    """op01 alone on duty, talking to a first caller; that caller's call."""
    rig = await make_rig(
        hotline=hotline_400_100(hold_announce_s=HOLD_S),
        present={"op01"},
        operators={"op01": SimOperator(ring_s=1.0, talk_s=talks(TALK_S))},
    )
    first = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    await rig.events.first(
        lambda e: e.get("Event") == "DialEnd"
        and e.get("Channel") == first.channel
        and e.get("DialStatus") == "ANSWER",
        rig.clock,
        60.0,
    )
    return rig, first


@pytest.mark.parametrize(
    ("digits", "next_in_line", "second_in_line"),
    [(RU_SOCIAL, RU_FIRST, RU_SECOND), (KK_SOCIAL, KK_FIRST, KK_SECOND)],
    ids=["ru", "kk"],
)
async def test_the_second_caller_hears_place_and_range_then_again_at_the_hold_visit(
    make_rig: RigFactory, digits: list[str], next_in_line: list[str], second_in_line: list[str]
) -> None:
    rig, first = await one_operator_busy(make_rig)
    second = await rig.call(SimCaller(digits=digits, think_s=0.5, patience_s=PATIENT))
    await rig.events.first(played(next_in_line[-1], second.channel, 1), rig.clock, 60.0)
    third = await rig.call(SimCaller(digits=digits, think_s=0.5, patience_s=PATIENT))
    # Entry: right after the menu, before any hold music.
    await rig.events.first(played(second_in_line[-1], third.channel, 1), rig.clock, 60.0)
    assert not rig.events.matching("MusicOnHoldStart", Channel=third.channel)
    # The next hold visit, HOLD_S of music later: the same place, the same range.
    await rig.events.first(played(second_in_line[-1], third.channel, 2), rig.clock, HOLD_S + 30.0)
    assert rig.events.matching("MusicOnHoldStart", Channel=third.channel)

    heard = streamed(rig, third.channel)
    menu_end = max(i for i, sound in enumerate(heard) if "payments-400-100" in sound) + 1
    assert heard[menu_end:] == second_in_line + second_in_line
    assert runs(streamed(rig, second.channel), next_in_line) >= 2  # entry, then hold visits
    # The caller talking to the operator heard nothing of the kind.
    assert not [sound for sound in streamed(rig, first.channel) if "wait-" in sound]

    summaries = [await rig.within(c.ended) for c in (second, third)]
    records = {r.uniqueid: r for r in await rig.settle()}
    assert [s.operator for s in summaries] == ["PJSIP/op400-01", "PJSIP/op400-01"]
    second_record, third_record = records[second.uniqueid], records[third.uniqueid]
    assert (second_record.outcome, third_record.outcome) == (Outcome.ANSWERED,) * 2
    # The first prediction said (the midpoint: 90 s, 180 s), counted from the enqueue: it
    # was made at entry, so before the first HOLD_S of music ended. (How soon after the
    # enqueue is scheduling latency, times the clock's speed: not asserted.)
    second_predicted, third_predicted = (
        second_record.predicted_wait_s,
        third_record.predicted_wait_s,
    )
    assert second_predicted is not None
    assert third_predicted is not None
    assert 90.0 <= second_predicted < 90.0 + HOLD_S
    assert 180.0 <= third_predicted < 180.0 + HOLD_S
    # Answered at once: never told a wait.
    assert records[first.uniqueid].predicted_wait_s is None
    # Both waited out at least the rest of the first call's talk (which of them op01 took
    # first is the ACD's business, not this test's).
    assert min(second_record.wait_s, third_record.wait_s) > TALK_S / 2


async def test_nobody_on_shift_is_said_rather_than_a_number(make_rig: RigFactory) -> None:
    # Without the shipped overflow rules (nobody on shift: a message, then the duty group),
    # which tests/controller/test_overflow.py covers: here the caller waits and is told so.
    rig = await make_rig(
        hotline=without_overflow(hotline_400_100(hold_announce_s=HOLD_S)), present=()
    )
    call = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=HOLD_S + 10.0))
    summary = await rig.within(call.ended)
    records = await rig.settle()

    heard = streamed(rig, call.channel)
    no_operator = [
        "hotline/kk/position-before",
        "hotline/kk/ord-1",
        "hotline/kk/position-after",
        "hotline/kk/wait-no-operator",
    ]
    assert runs(heard, no_operator) == 2  # on entry and at the one hold visit
    assert "hotline/kk/wait-intro" not in heard
    assert summary.hung_up_by == "caller"
    assert [(r.outcome, r.predicted_wait_s) for r in records] == [(Outcome.ABANDONED, None)]


async def test_a_caller_about_to_be_connected_hears_no_announcement(make_rig: RigFactory) -> None:
    rig = await make_rig(present={"op01"})
    call = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=PATIENT))
    await rig.within(call.ended)
    records = await rig.settle()

    assert not [s for s in streamed(rig, call.channel) if "position" in s or "wait-" in s]
    assert [(r.outcome, r.predicted_wait_s) for r in records] == [(Outcome.ANSWERED, None)]


async def test_a_failing_announcement_leaves_the_caller_waiting(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis fails just for the announcement: the caller hears nothing of it and keeps
    waiting (no fallback, no withdrawal from the queue)."""
    rig = await make_rig(hotline=hotline_400_100(hold_announce_s=HOLD_S), present=())

    async def broken(call_id: str) -> int | None:
        raise redis.exceptions.ConnectionError("Connection reset by peer")

    monkeypatch.setattr(rig.acd, "position", broken)
    call = await rig.call(SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=HOLD_S + 10.0))
    summary = await rig.within(call.ended)
    records = await rig.settle()

    assert summary.hung_up_by == "caller"
    assert not [sound for sound in streamed(rig, call.channel) if "wait-" in sound]
    assert not rig.events.matching(
        "VarSet", Channel=call.channel, Variable="HOTLINE_NEXT", Value="fallback"
    )
    assert len(rig.events.matching("MusicOnHoldStart", Channel=call.channel)) == 2
    assert [(r.outcome, r.queue_id, r.predicted_wait_s) for r in records] == [
        (Outcome.ABANDONED, "social-payments-kk", None)
    ]

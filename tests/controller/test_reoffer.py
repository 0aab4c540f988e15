"""A remote operator who does not press 1, and nobody else free: the caller goes back to
hold (music, hold visits) and is not offered to that operator again before the queue's
`reoffer_same_operator_after_s`; after `routing.auto_pause_after` misses the operator is
paused and the caller waits on until their patience runs out. Through the whole
controller and the simulated PBX running the shipped dialplan, on the injected clock."""

from __future__ import annotations

from hotline.config import HotlineConfig
from hotline.records import Outcome
from hotline.sim import Headers, SimCaller, SimOperator

from .conftest import AT_10, Rig, RigFactory, hotline_400_100, talks, without_overflow

# 2 Russian, then 1 social payments: queue social-payments-ru (op04 takes it).
RU_SOCIAL = ["2", "1"]
REOFFER_AFTER_S = 60


def with_reoffer_after(seconds: int) -> HotlineConfig:
    config = without_overflow(hotline_400_100())
    queues = [
        q.model_copy(update={"reoffer_same_operator_after_s": seconds}) for q in config.queues
    ]
    return config.model_copy(update={"queues": queues})


class TimedEvents:
    """Every PBX event with the clock time it was emitted at."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.events: list[tuple[float, dict[str, str]]] = []
        unsubscribe = rig.pbx.subscribe(self)

        async def close() -> None:
            unsubscribe()

        rig.closers.append(close)

    def __call__(self, headers: Headers) -> None:
        self.events.append((self.rig.clock.now(), dict(headers)))

    def of(self, name: str, channel: str) -> list[tuple[float, dict[str, str]]]:
        return [
            (t, e) for t, e in self.events if e.get("Event") == name and e.get("Channel") == channel
        ]


async def test_a_remote_operator_who_never_presses_1_is_reoffered_only_after_the_time(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig(
        hotline=with_reoffer_after(REOFFER_AFTER_S),
        present={"op04"},
        # answers after 1 s and never presses a key (a voicemail)
        operators={"op04": SimOperator(ring_s=1.0, talk_s=talks(60.0), confirm_digits="")},
        start=AT_10.timestamp(),  # Friday 10:00 in Almaty: 400-100's day shift, op01-op05
    )
    timed = TimedEvents(rig)
    call = await rig.call(SimCaller(digits=RU_SOCIAL, think_s=0.5, patience_s=400.0))
    await rig.within(call.ended, 900.0)
    (record,) = await rig.settle()

    begins = [t for t, _ in timed.of("DialBegin", call.channel)]
    ends = [(t, e["DialStatus"]) for t, e in timed.of("DialEnd", call.channel)]
    # routing.auto_pause_after (3) misses in a row pause op04: three offers, no more
    assert len(begins) == 3, (begins, ends)
    assert [status for _, status in ends] == ["CONTINUE"] * 3
    for (ended_at, _), next_begin in zip(ends, begins[1:], strict=False):
        # not op04 again within the time after the miss...
        assert next_begin - ended_at >= REOFFER_AFTER_S, (ended_at, next_begin)
        # ...and meanwhile the caller was on hold: the music, and a hold visit
        moh = [t for t, _ in timed.of("MusicOnHoldStart", call.channel)]
        assert any(ended_at <= t < next_begin for t in moh)
        visits = [
            t
            for t, e in timed.of("Newexten", call.channel)
            if e.get("Application") == "AGI" and "/hold," in e.get("AppData", "")
        ]
        assert any(ended_at <= t < next_begin for t in visits)

    # The caller waited on after op04's pause, and gave up: abandoned, never connected.
    assert (record.outcome, record.operator_id) == (Outcome.ABANDONED, None)
    op04 = await rig.acd.operator("op04")
    assert op04 is not None
    assert (op04["state"], op04["pause_reason"], op04["misses"]) == ("paused", "no-answer", "3")

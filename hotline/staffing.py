"""How many operators a shift plans, has logged in, and needs (Erlang C); pure.

Erlang C models calls arriving at random (Poisson, `calls_per_hour`) to `agents` operators
who each take `aht_s` seconds on average, with callers waiting in one queue. The required
count is the smallest number of operators for which at least `target_share` of callers are
answered within `target_s` seconds, and no operator is busy more than `max_occupancy` of
the time (a team run at 100% burns out and every blip becomes a queue). It ignores callers
who give up, so it errs on the side of more operators, which is the side to err on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from hotline.config import HotlineConfig
from hotline.shifts import shifts_on

# Past this many operators the answer is "more than the model can say": the forecast or the
# handling time is wrong by orders of magnitude, and a loop must end.
_MAX_AGENTS = 10_000


def erlang_c(traffic_erlangs: float, agents: int) -> float:
    """The probability that a caller has to wait, with `agents` operators and
    `traffic_erlangs` (arrival rate x mean handling time) of offered traffic.

    1.0 when the agents cannot keep up (traffic >= agents): the queue grows without end.
    Computed with the Erlang B recurrence, which stays stable for thousands of agents
    where the textbook formula's factorials overflow.
    """
    if traffic_erlangs < 0 or agents < 0:
        raise ValueError(f"traffic and agents must not be negative: {traffic_erlangs}, {agents}")
    if traffic_erlangs == 0:
        return 0.0
    if agents <= traffic_erlangs:
        return 1.0
    blocking = 1.0  # Erlang B with 0 agents
    for n in range(1, agents + 1):
        blocking = traffic_erlangs * blocking / (n + traffic_erlangs * blocking)
    occupancy = traffic_erlangs / agents
    return blocking / (1 - occupancy * (1 - blocking))


def service_level(calls_per_hour: float, aht_s: float, agents: int, target_s: float) -> float:
    """The share of callers answered within `target_s` seconds."""
    traffic = calls_per_hour * aht_s / 3600
    if traffic == 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    waits = erlang_c(traffic, agents)
    return 1 - waits * math.exp(-(agents - traffic) * target_s / aht_s)


def required_agents(
    calls_per_hour: float,
    aht_s: float,
    target_s: float,
    target_share: float = 0.8,
    max_occupancy: float = 0.85,
) -> int:
    """The fewest operators that answer `target_share` of callers within `target_s`
    seconds with occupancy at most `max_occupancy`; 0 when no calls are expected."""
    if calls_per_hour < 0 or aht_s <= 0 or target_s < 0:
        raise ValueError(
            f"need calls_per_hour >= 0, aht_s > 0, target_s >= 0: "
            f"{calls_per_hour}, {aht_s}, {target_s}"
        )
    if not 0 < target_share < 1 or not 0 < max_occupancy <= 1:
        raise ValueError(f"shares must be in (0, 1): {target_share}, {max_occupancy}")
    traffic = calls_per_hour * aht_s / 3600
    if traffic == 0:
        return 0
    agents = max(1, math.ceil(traffic / max_occupancy))
    while service_level(calls_per_hour, aht_s, agents, target_s) < target_share:
        agents += 1
        if agents > _MAX_AGENTS:
            raise ValueError(f"more than {_MAX_AGENTS} operators needed: check the forecast")
    return agents


@dataclass(frozen=True)
class ShiftStaffing:
    """One shift that is on now: its plan, who of it is logged in, what the load needs."""

    shift: str
    planned: int
    logged_in: int
    # None: the shift has no forecast (`forecast_calls_per_hour`), so nothing to compare.
    required: int | None


def shift_staffing(
    config: HotlineConfig, at_epoch_s: float, operator_states: Mapping[str, str]
) -> list[ShiftStaffing]:
    """Each shift on at `at_epoch_s`: members planned, members logged in (any ACD state but
    offline), and the Erlang C count its forecast needs at the hotline's service level.

    The handling time is the mean `aht_s` of the hotline's queues: a shift serves them all.
    """
    aht_s = sum(queue.aht_s for queue in config.queues) / len(config.queues)
    report = []
    for shift in shifts_on(config, at_epoch_s):
        logged_in = [
            member
            for member in shift.members
            if operator_states.get(member, "offline") != "offline"
        ]
        required = None
        if shift.forecast_calls_per_hour is not None:
            required = required_agents(
                shift.forecast_calls_per_hour,
                aht_s,
                config.service_level_s,
                config.service_level_target,
            )
        report.append(ShiftStaffing(shift.name, len(shift.members), len(logged_in), required))
    return report

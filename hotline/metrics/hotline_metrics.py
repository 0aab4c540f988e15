"""The Prometheus metrics of the hotlines served by one controller."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from hotline.records import CallRecord

#: Waits callers are told about and service levels are set at (20 s, 30 s, ...).
WAIT_BUCKETS_S = (5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
#: Conversations: the field notes report calls of seconds up to several minutes.
TALK_BUCKETS_S = (10.0, 30.0, 60.0, 120.0, 180.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0)
#: Every operator state of the ACD, so a state that drops to zero is reported as 0.
OPERATOR_STATES = ("available", "ringing", "on_call", "offline")


class HotlineMetrics:
    """Counters, histograms and gauges, registered in `registry` (never the global one)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.calls_offered = Counter(
            "hotline_calls_offered",
            "Calls that reached the hotline.",
            ["hotline"],
            registry=registry,
        )
        self.calls_ended = Counter(
            "hotline_calls_ended",
            "Calls that ended, by outcome.",
            ["hotline", "outcome"],
            registry=registry,
        )
        self.wait_seconds = Histogram(
            "hotline_wait_seconds",
            "Time queued calls waited for an operator (or until the caller gave up).",
            ["hotline"],
            buckets=WAIT_BUCKETS_S,
            registry=registry,
        )
        self.talk_seconds = Histogram(
            "hotline_talk_seconds",
            "Time answered calls spent talking to an operator.",
            ["hotline"],
            buckets=TALK_BUCKETS_S,
            registry=registry,
        )
        self.waiting = Gauge(
            "hotline_waiting_calls",
            "Calls waiting for an operator now.",
            ["hotline"],
            registry=registry,
        )
        self.operators = Gauge(
            "hotline_operators",
            "Operators by state now.",
            ["hotline", "state"],
            registry=registry,
        )

    def offered(self, hotline_id: str) -> None:
        """A call reached the hotline (counted once, when it arrives)."""
        self.calls_offered.labels(hotline=hotline_id).inc()

    def observe_record(self, record: CallRecord) -> None:
        """Count a finished call; its wait if it was queued, its talk time if answered."""
        hotline = record.hotline_id
        self.calls_ended.labels(hotline=hotline, outcome=str(record.outcome)).inc()
        if record.enqueued_at is not None:
            self.wait_seconds.labels(hotline=hotline).observe(record.wait_s)
        if record.answered_at is not None:
            self.talk_seconds.labels(hotline=hotline).observe(record.talk_s)

    def set_waiting(self, hotline_id: str, count: int) -> None:
        self.waiting.labels(hotline=hotline_id).set(count)

    def set_operator_states(self, hotline_id: str, states: Mapping[str, str]) -> None:
        """Set the gauges from `Acd.operator_states()` (operator id -> state)."""
        counts = dict.fromkeys(OPERATOR_STATES, 0)
        for state in states.values():
            counts[state] = counts.get(state, 0) + 1
        for state, count in counts.items():
            self.operators.labels(hotline=hotline_id, state=state).set(count)

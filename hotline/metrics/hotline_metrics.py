"""The Prometheus metrics of the hotlines served by one controller."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from hotline.records import CallRecord
from hotline.staffing import ShiftStaffing

#: Waits callers are told about and service levels are set at (20 s, 30 s, ...).
WAIT_BUCKETS_S = (5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
#: Conversations: the field notes report calls of seconds up to several minutes.
TALK_BUCKETS_S = (10.0, 30.0, 60.0, 120.0, 180.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0)
#: Every operator state of the ACD, so a state that drops to zero is reported as 0.
OPERATOR_STATES = ("available", "ringing", "on_call", "wrap_up", "paused", "offline")


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

        self.shift_operators = Gauge(
            "hotline_shift_operators",
            "Operators of each shift on now: planned (members), logged_in, and required "
            "(Erlang C for the shift's forecast at the hotline's service level).",
            ["hotline", "shift", "kind"],
            registry=registry,
        )
        self._shift_labels: dict[str, set[tuple[str, str, str]]] = {}
        self.long_pauses = Gauge(
            "hotline_operators_paused_too_long",
            "Operators paused longer than their reason's limit_s (alert on > 0).",
            ["hotline"],
            registry=registry,
        )
        self.overflows = Counter(
            "hotline_overflows_total",
            "Overflow rules applied to waiting callers, by action (widen, callback, message).",
            ["hotline", "action"],
            registry=registry,
        )

    def set_long_pauses(self, hotline_id: str, count: int) -> None:
        self.long_pauses.labels(hotline=hotline_id).set(count)

    def overflow(self, hotline_id: str, action: str) -> None:
        self.overflows.labels(hotline=hotline_id, action=action).inc()

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

    def set_staffing(self, hotline_id: str, staffing: Sequence[ShiftStaffing]) -> None:
        """Set the shift gauges from `hotline.staffing.shift_staffing`; a shift that is no
        longer on (or lost its forecast) disappears from /metrics rather than freezing."""
        labels: set[tuple[str, str, str]] = set()
        for shift in staffing:
            counts = {"planned": shift.planned, "logged_in": shift.logged_in}
            if shift.required is not None:
                counts["required"] = shift.required
            for kind, count in counts.items():
                self.shift_operators.labels(hotline=hotline_id, shift=shift.shift, kind=kind).set(
                    count
                )
                labels.add((hotline_id, shift.shift, kind))
        for stale in self._shift_labels.get(hotline_id, set()) - labels:
            self.shift_operators.remove(*stale)
        self._shift_labels[hotline_id] = labels

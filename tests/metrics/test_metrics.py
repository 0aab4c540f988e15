"""Metrics observed from call records and scraped over HTTP in the Prometheus text format."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from hotline.metrics import HotlineMetrics, MetricsServer, serve_metrics
from hotline.records import CallRecord, Outcome

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
T0 = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)
HL = (("hotline", "400-100"),)


def record(call_id: str, outcome: Outcome, wait_s: float, talk_s: float) -> CallRecord:
    queued = outcome in (Outcome.ANSWERED, Outcome.ABANDONED)
    return CallRecord(
        call_id=call_id,
        hotline_id="400-100",
        outcome=outcome,
        arrived_at=T0,
        enqueued_at=T0 + timedelta(seconds=10) if queued else None,
        answered_at=T0 + timedelta(seconds=10 + wait_s) if outcome is Outcome.ANSWERED else None,
        ended_at=T0 + timedelta(seconds=10 + wait_s + talk_s),
        wait_s=wait_s,
        talk_s=talk_s,
    )


@pytest.fixture
def served() -> Iterator[tuple[HotlineMetrics, MetricsServer]]:
    registry = CollectorRegistry()
    server = serve_metrics(registry)
    yield HotlineMetrics(registry), server
    server.close()


def scrape(port: int) -> Samples:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        assert response.status == 200
        text = response.read().decode("utf-8")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_records_show_up_as_counters_and_histograms(
    served: tuple[HotlineMetrics, MetricsServer],
) -> None:
    metrics, server = served
    for _ in range(3):
        metrics.offered("400-100")
    metrics.offered("109")
    metrics.observe_record(record("a", Outcome.ANSWERED, wait_s=7.0, talk_s=95.0))
    metrics.observe_record(record("b", Outcome.ANSWERED, wait_s=25.0, talk_s=20.0))
    metrics.observe_record(record("c", Outcome.ABANDONED, wait_s=400.0, talk_s=0.0))
    metrics.observe_record(record("d", Outcome.SELF_SERVED, wait_s=0.0, talk_s=0.0))

    samples = scrape(server.port)

    assert samples[("hotline_calls_offered_total", HL)] == 3
    assert samples[("hotline_calls_offered_total", (("hotline", "109"),))] == 1
    ended = "hotline_calls_ended_total"
    assert samples[(ended, (*HL, ("outcome", "answered")))] == 2
    assert samples[(ended, (*HL, ("outcome", "abandoned")))] == 1
    assert samples[(ended, (*HL, ("outcome", "self_served")))] == 1
    # Only queued calls have a wait: the self-served call is not in the histogram.
    assert samples[("hotline_wait_seconds_count", HL)] == 3
    assert samples[("hotline_wait_seconds_sum", HL)] == pytest.approx(432.0)
    wait_buckets = {
        le: samples[("hotline_wait_seconds_bucket", (*HL, ("le", le)))]
        for le in ("5.0", "10.0", "20.0", "30.0", "300.0", "600.0", "1800.0", "+Inf")
    }
    assert wait_buckets == {
        "5.0": 0, "10.0": 1, "20.0": 1, "30.0": 2,
        "300.0": 2, "600.0": 3, "1800.0": 3, "+Inf": 3,
    }  # fmt: skip
    # Only answered calls have a talk time.
    assert samples[("hotline_talk_seconds_count", HL)] == 2
    assert samples[("hotline_talk_seconds_sum", HL)] == pytest.approx(115.0)
    assert samples[("hotline_talk_seconds_bucket", (*HL, ("le", "30.0")))] == 1
    assert samples[("hotline_talk_seconds_bucket", (*HL, ("le", "120.0")))] == 2


def test_gauges_report_waiting_calls_and_every_operator_state(
    served: tuple[HotlineMetrics, MetricsServer],
) -> None:
    metrics, server = served
    metrics.set_waiting("400-100", 7)
    metrics.set_operator_states("400-100", {"op1": "available", "op2": "on_call"})
    metrics.set_operator_states("400-100", {"op1": "on_call", "op2": "on_call", "op3": "ringing"})

    samples = scrape(server.port)

    assert samples[("hotline_waiting_calls", HL)] == 7
    states = {
        state: samples[("hotline_operators", (*HL, ("state", state)))]
        for state in ("available", "ringing", "on_call", "offline")
    }
    assert states == {"available": 0, "ringing": 1, "on_call": 2, "offline": 0}


def test_close_stops_serving_and_frees_the_port() -> None:
    registry = CollectorRegistry()
    HotlineMetrics(registry).offered("400-100")
    server = serve_metrics(registry, host="127.0.0.1", port=0)
    port = server.port
    assert server.host == "127.0.0.1"
    assert port > 0
    assert scrape(port)[("hotline_calls_offered_total", HL)] == 1

    server.close()

    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass


def test_metrics_use_their_own_registry() -> None:
    # Two controllers (or two tests) in one process must not collide on metric names.
    first, second = CollectorRegistry(), CollectorRegistry()
    HotlineMetrics(first).offered("400-100")
    HotlineMetrics(second)
    assert first.get_sample_value("hotline_calls_offered_total", {"hotline": "400-100"}) == 1
    assert second.get_sample_value("hotline_calls_offered_total", {"hotline": "400-100"}) is None


def test_a_failed_call_counts_as_ended_without_wait_or_talk() -> None:
    registry = CollectorRegistry()
    failed = replace(record("x", Outcome.FAILED, 0.0, 0.0), caller="+77011234567")

    HotlineMetrics(registry).observe_record(failed)

    labels = {"hotline": "400-100", "outcome": "failed"}
    assert registry.get_sample_value("hotline_calls_ended_total", labels) == 1
    assert registry.get_sample_value("hotline_wait_seconds_count", {"hotline": "400-100"}) is None
    assert registry.get_sample_value("hotline_talk_seconds_count", {"hotline": "400-100"}) is None

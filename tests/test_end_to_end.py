"""The whole path over real TCP: simulated PBX -> FastAGI -> IVR -> Redis ACD -> operator ->
hang-up -> SQL record -> /metrics."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hotline.controller.app import Controller
from hotline.controller.simulate import SimulationOptions, run_simulation
from hotline.records import Outcome


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_simulated_calls_end_in_records_and_metrics(redis_url: str, tmp_path: Path) -> None:
    seen: dict[str, object] = {}

    async def inspect(controller: Controller) -> None:
        assert controller.metrics_server is not None
        seen["metrics"] = _scrape(controller.metrics_server.port)
        seen["records"] = controller.store.fetch_all()

    options = SimulationOptions(
        hotline="400-100",
        calls=12,
        rate_per_min=20.0,
        operators=3,
        aht_s=30.0,
        patience_s=600.0,
        seed=7,
        speed=200.0,
        data_dir=tmp_path,
        redis_url=redis_url,
    )
    summary = await run_simulation(options, before_stop=inspect)

    assert summary.offered == 12
    assert summary.lost == 0
    assert summary.records == 12
    # Patient callers and free operators: most calls reach an operator.
    assert summary.answered >= 6, summary
    assert summary.answered + summary.abandoned + summary.failed == 12, summary
    assert summary.aht_s is not None
    assert summary.aht_s > 0

    records = seen["records"]
    assert isinstance(records, list)
    assert len(records) == 12
    assert len({r.uniqueid for r in records}) == 12
    for record in records:
        assert record.hotline_id == "400-100"
        assert record.outcome in set(Outcome)
        if record.outcome == Outcome.ANSWERED:
            assert record.operator_id is not None
            assert record.queue_id is not None
            assert record.language in ("kk", "ru")
            assert record.wait_s is not None
            assert record.wait_s >= 0
            assert record.talk_s is not None
            assert record.talk_s > 0

    metrics = seen["metrics"]
    assert isinstance(metrics, dict)
    answered = metrics[
        ("hotline_calls_ended_total", (("hotline", "400-100"), ("outcome", "answered")))
    ]
    assert answered == summary.answered
    wait_count = metrics[("hotline_wait_seconds_count", (("hotline", "400-100"),))]
    assert wait_count >= summary.answered
    assert metrics[("hotline_calls_offered_total", (("hotline", "400-100"),))] == 12
    # Three operators staffed: the gauges count them, whatever state each is in now.
    states = [
        value
        for (name, labels), value in metrics.items()
        if name == "hotline_operators" and ("hotline", "400-100") in labels
    ]
    assert sum(states) == 3


@pytest.mark.parametrize("hotline", ["109", "1414", "400-100"])
async def test_every_shipped_hotline_runs_without_failures(
    hotline: str, redis_url: str, tmp_path: Path
) -> None:
    # A configuration the ACD cannot take (e.g. a priority out of its range) shows up here as
    # `failed` calls: callers sent to the fallback by a controller error.
    options = SimulationOptions(
        hotline=hotline,
        calls=10,
        rate_per_min=30.0,
        operators=6,
        aht_s=20.0,
        patience_s=600.0,
        seed=11,
        speed=300.0,
        data_dir=tmp_path,
        redis_url=redis_url,
    )
    summary = await run_simulation(options)
    assert summary.lost == 0
    assert summary.failed == 0, summary
    assert summary.records == 10
    assert summary.answered + summary.abandoned == 10

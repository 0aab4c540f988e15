"""The whole path over real TCP: simulated PBX -> FastAGI -> IVR -> Redis ACD -> operator ->
hang-up -> SQL record -> /metrics."""

from __future__ import annotations

import logging
import random
import re
import urllib.request
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from hotline.controller.app import Controller
from hotline.controller.callers import DemoData
from hotline.controller.simulate import SimulationOptions, run_simulation
from hotline.ivr.iin import validate_iin
from hotline.records import Outcome
from tests.lists.test_lists import all_stored_text

ALMATY = ZoneInfo("Asia/Almaty")
# These runs need operators on shift and open lines: they state their time, a Friday at
# 10:00 in Almaty (inside every shipped hotline's hours), whatever the machine's clock says.
AT_10 = datetime(2026, 11, 20, 10, 0, tzinfo=ALMATY).timestamp()


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
        start=AT_10,
    )
    summary = await run_simulation(options, before_stop=inspect)

    assert summary.offered == 12
    assert summary.lost == 0
    assert summary.records == 12
    # Patient callers and free operators: most calls reach an operator.
    assert summary.answered >= 6, summary
    ended = summary.answered + summary.abandoned + summary.self_served + summary.failed
    assert ended == 12, summary
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
    # The simulated run is at 10:00 Almaty: the day shift, five planned, three staffed, and
    # the Erlang C figure for its forecast.
    shift = {
        dict(labels)["kind"]: value
        for (name, labels), value in metrics.items()
        if name == "hotline_shift_operators" and ("hotline", "400-100") in labels
    }
    assert shift["planned"] == 5
    assert shift["logged_in"] == 3
    assert shift["required"] >= 1


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
        start=AT_10,
    )
    summary = await run_simulation(options)
    assert summary.lost == 0
    assert summary.failed == 0, summary
    assert summary.records == 10
    served = summary.answered + summary.abandoned + summary.self_served + summary.callbacks
    assert served == 10, summary


@pytest.mark.parametrize(
    ("local_time", "open_"),
    [((3, 0), False), ((11, 0), True), ((22, 30), False)],
    ids=["03:00", "11:00", "22:30"],
)
async def test_a_run_of_1414_follows_its_opening_hours(
    local_time: tuple[int, int], open_: bool, redis_url: str, tmp_path: Path
) -> None:
    """1414 opens 09:00-21:00 Almaty: `--start` decides what the callers find."""
    hour, minute = local_time
    options = SimulationOptions(
        hotline="1414",
        calls=6,
        rate_per_min=30.0,
        operators=6,
        aht_s=20.0,
        patience_s=600.0,
        seed=3,
        speed=300.0,
        data_dir=tmp_path,
        redis_url=redis_url,
        start=datetime(2026, 12, 7, hour, minute, tzinfo=ALMATY).timestamp(),
    )
    summary = await run_simulation(options)
    assert summary.lost == 0, summary
    assert summary.start == f"2026-12-07T{hour:02d}:{minute:02d}+05:00"
    if open_:
        assert summary.answered > 0, summary
        assert summary.closed == 0, summary
        assert summary.warnings == []
    else:
        # Closed: the callers hear the hours or ask to be called back; nobody on shift.
        assert summary.answered == 0, summary
        assert summary.closed + summary.callbacks == 6, summary
        assert summary.operators == 0
        assert len(summary.warnings) == 1
        assert "only 0 operator(s) of hotline 1414 are on shift" in summary.warnings[0]


async def test_no_iin_in_clear_in_any_log_line_or_table_after_a_simulated_run(
    redis_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, "sqlalchemy.engine")  # its statement log, with parameters
    options = SimulationOptions(
        hotline="400-100",
        calls=40,
        rate_per_min=60.0,
        operators=5,
        aht_s=20.0,
        patience_s=60.0,
        seed=5,
        speed=300.0,
        data_dir=tmp_path,
        redis_url=redis_url,
        start=AT_10,
    )
    summary = await run_simulation(options)
    assert summary.lost == 0, summary
    assert summary.self_served > 0, summary

    # The IINs the simulated callers typed (the demo data of this seed) and any other run of
    # 12 digits that is a valid IIN.
    demo = DemoData.generate(random.Random(f"{options.seed}/demo"))
    typed = {*demo.listed_iins, *demo.unlisted_iins}
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'hotline.db'}")
    try:
        stored = all_stored_text(engine)
    finally:
        engine.dispose()
    assert "recipient_entries" in caplog.text  # the statement log was captured
    # The scan sees the records of callers who typed an IIN.
    assert "self_served" in stored
    assert "list-check:found" in stored
    for name, text in (("a table", stored), ("a log line", caplog.text)):
        leaked = {iin for iin in typed if iin in text}
        assert not leaked, f"{len(leaked)} IINs in clear in {name}"
        valid = {m for m in re.findall(r"(?<!\d)\d{12}(?!\d)", text) if validate_iin(m).valid}
        assert not valid, f"IIN-like numbers in {name}: {sorted(valid)[:3]}"

"""The `hotline` command as a user runs it: options in, exit code and files out."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hotline.cli import main

HOTLINES = Path(__file__).resolve().parents[1] / "config" / "hotlines"

SUMMARY_KEYS = {
    "offered",
    "answered",
    "abandoned",
    "self_served",
    "callbacks",
    "failed",
    "closed",
    "lost",
    "records",
    "service_level",
    "asa_s",
    "aht_s",
    "max_wait_s",
    "called_back",
    "callback_failed",
    "overflowed",
    "overflows",
    "wait_prediction",
    "service_level_s",
    "operators",
    "start",
    "warnings",
}


def test_simulate_writes_the_json_summary(
    redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    out = tmp_path / "out.json"
    args = ["simulate", "--hotline", "400-100", "--calls", "6", "--rate", "30"]
    # A Monday at 10:00 (local time of the hotline): the day shift has five operators.
    args += ["--operators", "7", "--aht", "20", "--speed", "300", "--seed", "3"]
    args += ["--start", "2026-12-07T10:00"]
    args += ["--data-dir", str(tmp_path / "data"), "--json", str(out)]

    # In a thread of its own: main() calls asyncio.run(), which would otherwise replace (and
    # orphan, unclosed) the event loop pytest-asyncio keeps for this thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(main, args).result() == 0

    summary = json.loads(out.read_text())
    assert set(summary) >= SUMMARY_KEYS
    assert summary["offered"] == 6
    assert summary["records"] == 6
    assert summary["lost"] == 0
    assert (tmp_path / "data" / "hotline.db").exists()
    assert summary["start"] == "2026-12-07T10:00+05:00"
    assert summary["service_level_s"] == 20
    # Seven asked, five on the day shift: the run says so instead of running fewer silently.
    assert summary["operators"] == 5
    assert summary["warnings"] == [
        "--operators 7: only 5 operator(s) of hotline 400-100 are on shift at "
        "Mon 2026-12-07 10:00 (Asia/Almaty); the run used 5"
    ]


def test_a_bad_start_names_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["simulate", "--start", "monday 10am"])
    assert exited.value.code == 2
    assert "argument --start: 'monday 10am' is not an ISO date and time" in (
        capsys.readouterr().err
    )


def test_simulate_with_an_unknown_hotline_fails_with_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["simulate", "--hotline", "no-such-hotline"]) == 1
    err = capsys.readouterr().err
    assert "no-such-hotline" in err
    assert "400-100" in err  # the known ids are listed


def test_check_config_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(HOTLINES / "400-100.yaml")]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text('id: "x"\nnumber: "1"\nbogus: 2\n')
    assert main(["check-config", str(bad)]) == 1
    assert f"{bad}:3: bogus: unknown field" in capsys.readouterr().err


def test_numeric_options_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["simulate", "--calls", "0"])
    assert exited.value.code == 2
    assert "must be positive" in capsys.readouterr().err

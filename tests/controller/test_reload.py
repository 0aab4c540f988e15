"""Reloading hotline files in a running controller: new calls take the new configuration,
calls in progress keep theirs, a bad file keeps the old one (hotline.controller.reload)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import redis.asyncio as redis

from hotline.config import config_dir, prompts_manifest_path
from hotline.controller.reload import read_hotline_files
from hotline.controller.shifts import ShiftKeeper
from hotline.queue import Acd
from hotline.sim import SimCaller

from .conftest import RigFactory, hotline_400_100, streamed
from .fakes import FakeClock

ALMATY = ZoneInfo("Asia/Almaty")


def copy_hotline(tmp_path: Path, hotline_id: str) -> Path:
    target = tmp_path / f"{hotline_id}.yaml"
    shutil.copy(config_dir() / "hotlines" / f"{hotline_id}.yaml", target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_bad_file_is_reported_by_line_and_the_others_still_load(tmp_path: Path) -> None:
    good = copy_hotline(tmp_path, "400-100")
    bad = copy_hotline(tmp_path, "109")
    edit(bad, "operator_topic: consultation", "operator_topic: consultation\n  start: nowhere")
    renamed = copy_hotline(tmp_path, "1414")
    edit(renamed, 'id: "1414"', 'id: "1415"')
    edit(renamed, "menu:\n", "menu:\n  closed_prompt: closed-1414\n")

    configs, errors = read_hotline_files(
        {"400-100": good, "109": bad, "1414": renamed}, prompts_manifest_path()
    )

    assert list(configs) == ["400-100"]
    assert configs["400-100"] == hotline_400_100()
    line = bad.read_text().splitlines().index("  start: nowhere") + 1
    assert f"{bad}:{line}: menu.start" in errors["109"]
    assert "renaming a hotline needs a restart" in errors["1414"]


def test_a_missing_prompt_text_fails_a_reload_as_it_fails_check_config(tmp_path: Path) -> None:
    path = copy_hotline(tmp_path, "400-100")
    edit(path, "greeting: greeting-400-100", "greeting: greeting-nobody-wrote")

    configs, errors = read_hotline_files({"400-100": path}, prompts_manifest_path())

    assert configs == {}
    assert "greeting-nobody-wrote" in errors["400-100"]


async def test_the_shift_keeper_applies_changed_operators_at_once(
    redis_url: str, tmp_path: Path
) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        acd = Acd(client, "400-100")
        monday_10 = datetime(2026, 11, 23, 10, 0, tzinfo=ALMATY).timestamp()
        keeper = ShiftKeeper(hotline_400_100(), acd, FakeClock(monday_10), lambda: None)
        await keeper.apply()
        op03 = await acd.operator("op03")
        assert op03 is not None
        assert op03["queues"] == "social-payments-kk"

        path = copy_hotline(tmp_path, "400-100")
        # op03 now speaks Russian too; op05 leaves the day shift.
        edit(
            path,
            "topics: [social-payments], languages: [kk]}",
            "topics: [social-payments], languages: [kk, ru]}",
        )
        edit(path, "members: [op01, op02, op03, op04, op05]", "members: [op01, op02, op03, op04]")
        configs, errors = read_hotline_files({"400-100": path}, prompts_manifest_path())
        assert errors == {}
        await keeper.replace(configs["400-100"])

        assert keeper.logged_in == {"op01", "op02", "op03", "op04"}
        op03 = await acd.operator("op03")
        assert op03 is not None
        assert op03["queues"] == "social-payments-kk,social-payments-ru"
        assert (await acd.operator_states())["op05"] == "offline"
    finally:
        await client.aclose()


async def test_new_calls_take_the_new_menu_and_a_call_in_the_menu_keeps_its_own(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig(present={"op01", "op02"})
    # The first caller's menu starts (with the configuration of the moment) before the reload.
    first = await rig.call(SimCaller(digits=["2", "1"], think_s=2.0, patience_s=600.0))
    await rig.events.first(
        lambda e: e["Event"] == "AGIExecStart"
        and e["Channel"] == first.channel
        and "choose-language" in e["Command"],
        rig.clock,
        60.0,
    )
    changed = hotline_400_100().model_copy(
        update={"menu": hotline_400_100().menu.model_copy(update={"greeting": "greeting-109"})}
    )
    report = await rig.controller.reload({"400-100": changed, "1414": changed})
    assert report.reloaded == ["400-100"]
    assert "adding a hotline needs a restart" in report.failed["1414"]
    assert (await rig.controller.reload({"400-100": changed})).unchanged == ["400-100"]

    second = await rig.call(SimCaller(digits=["2", "1"], think_s=1.0, patience_s=600.0))
    await rig.within(first.ended)
    await rig.within(second.ended)
    records = {r.call_id: r for r in await rig.settle()}

    assert "hotline/ru/greeting-400-100" in streamed(rig, first.channel)
    assert "hotline/ru/greeting-109" not in streamed(rig, first.channel)
    assert "hotline/ru/greeting-109" in streamed(rig, second.channel)
    # Both were served to the end: the reload dropped nobody.
    assert {r.outcome for r in records.values()} == {"answered"}
    assert len(records) == 2

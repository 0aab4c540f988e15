"""Two `hotline serve` processes on one Redis and one (simulated) Asterisk: the one the
callers' FastAGI goes to is killed with SIGKILL mid-call, and the other takes the call over
once the dead one's lease has run out, and records it when it ends (issue 4, item 8)."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from hotline.clock import ScaledClock
from hotline.config import config_dir, find_hotline, load_hotline
from hotline.records import CallRecord, Outcome, RecordStore
from hotline.sim import AmiServer, FixedSounds, SimCaller, SimOperator, SimPBX
from hotline.sim.ami_users import shipped_user

from .conftest import AMI_SECRET, AMI_USER, DIALPLAN, DUTY_DIAL, PbxEvents, talks
from .test_serve_reload import IIN_KEY_HEX, LINE_DEADLINE_S, ServeProcess

KK_SOCIAL = ["1", "1"]
# Real seconds: short, so that the test does not wait 15 s for the dead one's lease.
LEASE_TTL_S = "2"
LEASE_RENEW_S = "0.5"
POLL_S = 0.1


class Site:
    """The simulated PBX with every 400-100 operator's phone, its AMI server, and what the
    two serve processes share: Redis, the database, the configuration."""

    def __init__(self, pbx: SimPBX, ami_port: int, env: dict[str, str], tmp_path: Path) -> None:
        self.pbx = pbx
        self.events = PbxEvents()
        pbx.subscribe(self.events)
        self.clock = ScaledClock(1.0)
        self._env = env
        self._tmp_path = tmp_path
        self.processes: list[asyncio.subprocess.Process] = []
        self.ami_port = ami_port

    async def serve(self, name: str) -> tuple[ServeProcess, int]:
        """A `hotline serve` process, once it serves; its FastAGI port."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import sys; from hotline.cli import main; sys.exit(main())",
            "-v",
            "serve",
            "--hotline",
            "400-100",
            "--data-dir",
            str(self._tmp_path / name),
            env=self._env,
            stderr=asyncio.subprocess.PIPE,
        )
        self.processes.append(process)
        serve = ServeProcess(process)
        agi_line = await serve.line_with("FastAGI on 127.0.0.1:")
        await serve.line_with("serving 400-100")
        return serve, int(agi_line.rsplit(":", 1)[1])


@pytest.fixture
async def site(redis_url: str, tmp_path: Path) -> AsyncIterator[Site]:
    (tmp_path / "config" / "hotlines").mkdir(parents=True)
    shutil.copy(config_dir() / "hotlines" / "400-100.yaml", tmp_path / "config" / "hotlines")
    config = load_hotline(find_hotline("400-100"))
    clock = ScaledClock(1.0)
    pbx = SimPBX(
        clock, DIALPLAN, {"HOTLINE_FALLBACK_DIAL": DUTY_DIAL}, FixedSounds(1.0), random.Random(5)
    )
    # Whichever shift is on now, its operators answer and talk long.
    for operator in config.operators:
        pbx.add_operator(operator.dial, SimOperator(ring_s=1.0, talk_s=talks(600.0)))
    pbx.add_operator(DUTY_DIAL, SimOperator(ring_s=1.0, talk_s=talks(5.0)))
    server = AmiServer(pbx, {AMI_USER: shipped_user(AMI_USER, AMI_SECRET)}, clock)
    ami_port = await server.start("127.0.0.1", 0)
    env = {
        **os.environ,
        "HOTLINE_CONFIG_DIR": str(tmp_path / "config"),
        "HOTLINE_REDIS_URL": redis_url,
        "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'hotline.db'}",
        "HOTLINE_AMI_PORT": str(ami_port),
        "HOTLINE_AMI_USERNAME": AMI_USER,
        "HOTLINE_AMI_SECRET": AMI_SECRET,
        "HOTLINE_IIN_KEY": IIN_KEY_HEX,  # 400-100's menu looks IINs up in a list
        "HOTLINE_AGI_PORT": "0",
        "HOTLINE_METRICS_PORT": "0",
        "HOTLINE_HTTP_PORT": "0",
        "HOTLINE_LEASE_TTL_S": LEASE_TTL_S,
        "HOTLINE_LEASE_RENEW_S": LEASE_RENEW_S,
    }
    site = Site(pbx, ami_port, env, tmp_path)
    try:
        yield site
    finally:
        for process in site.processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await server.close()
        await pbx.close()


async def records_when(
    tmp_path: Path, done: Callable[[list[CallRecord]], bool]
) -> list[CallRecord]:
    """The records in the shared database once `done` holds for them (real time bound)."""
    store = RecordStore(f"sqlite:///{tmp_path / 'hotline.db'}", tmp_path / "reader-spool")
    try:
        for _ in range(int(LINE_DEADLINE_S / POLL_S)):
            records = await asyncio.to_thread(store.fetch_all)
            if done(records):
                return records
            await asyncio.sleep(POLL_S)
        raise AssertionError(f"no such records within {LINE_DEADLINE_S} s: {records}")
    finally:
        store.close()


async def test_sigkill_of_the_serving_controller_hands_its_call_to_the_other(
    site: Site, tmp_path: Path
) -> None:
    first, first_agi = await site.serve("a")
    second, second_agi = await site.serve("b")
    site.pbx.setvar(None, "HOTLINE_AGI", f"agi://127.0.0.1:{first_agi}")

    caller = await site.pbx.place_call(
        "400100", SimCaller(digits=KK_SOCIAL, think_s=0.5, patience_s=600.0), "+77010000001"
    )
    await site.events.first(
        lambda e: e.get("Event") == "DialEnd" and e.get("Channel") == caller.channel,
        site.clock,
        LINE_DEADLINE_S,
    )
    assert site.events.matching("DialEnd", Channel=caller.channel)[0]["DialStatus"] == "ANSWER"

    first.process.send_signal(signal.SIGKILL)
    assert await asyncio.wait_for(first.process.wait(), LINE_DEADLINE_S) == -signal.SIGKILL
    site.pbx.setvar(None, "HOTLINE_AGI", f"agi://127.0.0.1:{second_agi}")
    # Offered or talking in Redis: A may have died before it handled the operator's answer,
    # which B then replays.
    await second.line_with("adopted from the ACD")

    assert site.pbx.caller_hangs_up(caller.channel)
    summary = await asyncio.wait_for(caller.ended, LINE_DEADLINE_S)
    records = await records_when(tmp_path, lambda found: len(found) >= 1)

    (record,) = records
    assert (record.uniqueid, record.outcome) == (caller.uniqueid, Outcome.ANSWERED)
    assert record.operator_id is not None
    assert record.ended_at.timestamp() == pytest.approx(summary.ended_at, abs=2.0)
    assert site.events.matching("Newexten", Context="hotline-fallback") == []

    second.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(second.process.wait(), LINE_DEADLINE_S) == 0

"""`hotline serve` as a process configured only by its environment, as the README says,
answers 400-100's "am I on the list?" (issue 9, bug 1: serve never read HOTLINE_IIN_KEY, so
every caller heard `lookup-failed`).

The recipients list is imported with `hotline lists import` and the same key file; callers
walk the menu through the simulator (language 1, payments 1, check by IIN 1, the IIN, then
2: end the call). Redis and PostgreSQL are reached with passwords in their URLs, which no log
line of serve may show, nor an IIN or the key. 400-100 is open 24/7 and no operator takes
part: the test runs the same at any hour.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy.engine import make_url

from hotline.clock import ScaledClock
from hotline.controller.callers import DemoData
from hotline.records import CallRecord, Outcome, RecordStore
from hotline.redis_server import RedisProcess
from hotline.sim import AmiServer, FixedSounds, SimCaller, SimPBX

from .conftest import AMI_SECRET, AMI_USER, DIALPLAN, DUTY_DIAL, PbxEvents
from .test_serve_reload import LINE_DEADLINE_S, ServeProcess

REDIS_USER, REDIS_PASSWORD = "hotline-serve", "r3dis-pw-serve"
PG_PASSWORD = "pg-pw-serve"
LIST_NAME = "payment-50000"  # the list 400-100's list-check node looks in
POLL_S = 0.1
DEMO = DemoData.generate(random.Random(11), size=4)
LISTED, UNLISTED = DEMO.listed_iins[0], DEMO.unlisted_iins[0]


def cli(*args: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from hotline.cli import main; sys.exit(main())",
        *args,
    ]


def walk(iin: str) -> SimCaller:
    """Kazakh, payments, check by IIN, the IIN, then "2": end the call."""
    return SimCaller(digits=["1", "1", "1", iin, "2"], think_s=0.2, patience_s=600.0)


def played(events: PbxEvents, channel: str) -> list[str]:
    """The sound files played to `channel` by the FastAGI scripts, in order."""
    return [
        e["Command"].split()[2]
        for e in events.matching("AGIExecStart", Channel=channel)
        if e.get("Command", "").startswith("STREAM FILE ")
    ]


@pytest.fixture
def redis_with_password(redis_server: RedisProcess, redis_url: str) -> Iterator[str]:
    """The session's Redis, reached as a user with a password (an ACL user of its own)."""
    with redis_server.client() as client:
        client.execute_command(
            "ACL", "SETUSER", REDIS_USER, "on", f">{REDIS_PASSWORD}", "~*", "&*", "+@all"
        )
    try:
        yield f"redis://{REDIS_USER}:{REDIS_PASSWORD}@127.0.0.1:{redis_server.port}/0"
    finally:
        with redis_server.client() as client:
            client.execute_command("ACL", "DELUSER", REDIS_USER)


@pytest.fixture
async def pbx() -> AsyncIterator[tuple[SimPBX, int, PbxEvents]]:
    clock = ScaledClock(1.0)
    sim = SimPBX(
        clock, DIALPLAN, {"HOTLINE_FALLBACK_DIAL": DUTY_DIAL}, FixedSounds(0.3), random.Random(9)
    )
    events = PbxEvents()
    sim.subscribe(events)
    server = AmiServer(sim, {AMI_USER: AMI_SECRET}, clock)
    try:
        yield sim, await server.start("127.0.0.1", 0), events
    finally:
        await server.close()
        await sim.close()


async def records_when_stored(url: str, spool: Path, count: int) -> list[CallRecord]:
    store = RecordStore(url, spool)
    try:
        for _ in range(int(LINE_DEADLINE_S / POLL_S)):
            records = await asyncio.to_thread(store.fetch_all)
            if len(records) >= count:
                return records
            await asyncio.sleep(POLL_S)
        raise AssertionError(f"fewer than {count} records within {LINE_DEADLINE_S} s: {records}")
    finally:
        store.close()


@pytest.mark.postgres
async def test_serve_from_its_environment_answers_the_iin_self_service(
    pbx: tuple[SimPBX, int, PbxEvents], redis_with_password: str, pg_url: str, tmp_path: Path
) -> None:
    sim, ami_port, events = pbx
    key_file = tmp_path / "iin-key.hex"
    key_hex = os.urandom(32).hex()
    key_file.write_text(key_hex + "\n", encoding="ascii")
    database_url = make_url(pg_url).set(password=PG_PASSWORD).render_as_string(hide_password=False)
    # Nothing of the test's own environment configures serve: only the variables below.
    env = {name: value for name, value in os.environ.items() if "HOTLINE" not in name}
    env.pop("REDIS_URL", None)
    env.update(
        {
            "HOTLINE_REDIS_URL": redis_with_password,
            "HOTLINE_DATABASE_URL": database_url,
            "HOTLINE_AMI_PORT": str(ami_port),
            "HOTLINE_AMI_USERNAME": AMI_USER,
            "HOTLINE_AMI_SECRET": AMI_SECRET,
            "HOTLINE_AGI_PORT": "0",
            "HOTLINE_METRICS_PORT": "0",
            "HOTLINE_HTTP_PORT": "0",
            "HOTLINE_IIN_KEY_FILE": str(key_file),
        }
    )
    csv_file = tmp_path / "recipients.csv"
    csv_file.write_text("iin\n" + "".join(f"{iin}\n" for iin in DEMO.listed_iins))
    imported = await asyncio.create_subprocess_exec(
        *cli("lists", "import", str(csv_file), "--list", LIST_NAME),
        env=env,
        stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(imported.communicate(), LINE_DEADLINE_S)
    assert imported.returncode == 0, err.decode()
    assert f"imported {len(DEMO.listed_iins)}" in out.decode()

    process = await asyncio.create_subprocess_exec(
        *cli("-v", "serve", "--hotline", "400-100", "--data-dir", str(tmp_path / "var")),
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    serve = ServeProcess(process)
    try:
        agi_line = await serve.line_with("FastAGI on 127.0.0.1:")
        await serve.line_with("serving 400-100")
        sim.setvar(None, "HOTLINE_AGI", f"agi://127.0.0.1:{int(agi_line.rsplit(':', 1)[1])}")

        listed = await sim.place_call("400100", walk(LISTED), "+77010000001")
        unlisted = await sim.place_call("400100", walk(UNLISTED), "+77010000002")
        await asyncio.wait_for(asyncio.gather(listed.ended, unlisted.ended), LINE_DEADLINE_S)
        records = await records_when_stored(database_url, tmp_path / "reader-spool", 2)

        process.send_signal(signal.SIGTERM)
        assert process.stderr is not None
        rest = await asyncio.wait_for(process.stderr.read(), LINE_DEADLINE_S)
        assert await asyncio.wait_for(process.wait(), LINE_DEADLINE_S) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    heard = {call.uniqueid: played(events, call.channel) for call in (listed, unlisted)}
    assert "hotline/kk/on-list-50000" in heard[listed.uniqueid]
    assert "hotline/kk/not-on-list-50000" in heard[unlisted.uniqueid]
    for sounds in heard.values():
        assert "hotline/kk/lookup-failed" not in sounds
        assert sounds[-1] == "hotline/kk/goodbye"

    by_uniqueid = {record.uniqueid: record for record in records}
    for call, result in ((listed, "found"), (unlisted, "not_found")):
        record = by_uniqueid[call.uniqueid]
        assert record.outcome == Outcome.SELF_SERVED
        assert record.ivr_path is not None
        assert f"list-check:{result}" in record.ivr_path.split(",")

    log = "\n".join(serve.lines) + "\n" + rest.decode(errors="replace")
    assert "serving 400-100" in log
    for secret in (REDIS_PASSWORD, PG_PASSWORD, key_hex, LISTED, UNLISTED, "no IIN key"):
        assert secret not in log
    # The session's Redis still serves the other tests' default user.
    with redis.Redis.from_url(redis_with_password) as client:
        assert client.ping()

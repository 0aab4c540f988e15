"""Classic AGI in the simulator: `AGI(script,args)` forks a script from the AGI directory
and speaks AGI over its stdin/stdout, as res_agi does; and the `h` extension."""

from __future__ import annotations

import asyncio
import json
import os
import random
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sim_helpers import REPO_ROOT, EventLog

from hotline.clock import ScaledClock
from hotline.sim import FixedSounds, SimCaller, SimPBX, classic_agi
from hotline.sim.channel import SimChannel
from hotline.sim.fastagi_client import env_block

PATIENT = 1e9
DEAD = "511 Command Not Permitted on a dead channel or intercept routine\n"

# Every test script starts with this: it logs what it sees as JSON lines to $AGI_TEST_LOG.
PRELUDE = '''\
#!/usr/bin/env python3
import json, os, select, signal, sys, time
LOG = os.environ["AGI_TEST_LOG"]
HUPS = []

def note(*items):
    with open(LOG, "a") as f:
        f.write(json.dumps(items) + "\\n")

def on_hup(*_):
    HUPS.append(1)
    note("SIGHUP")

def read_env():
    data = b""
    while True:
        line = sys.stdin.buffer.readline()
        data += line
        if line in (b"\\n", b""):
            return data.decode()

def command(line):
    sys.stdout.buffer.write(line.encode() + b"\\n")
    sys.stdout.buffer.flush()
    reply = sys.stdin.buffer.readline().decode()
    note("reply", line, reply)
    return reply

def quiet_for(seconds):
    """Whether nothing at all arrives on stdin for `seconds`."""
    ready, _, _ = select.select([sys.stdin.buffer], [], [], seconds)
    return not ready

signal.signal(signal.SIGHUP, on_hup)
note("pid", os.getpid())
note("argv", sys.argv[1:])
note("env", read_env())
'''


def make_script(directory: Path, name: str, body: str, mode: int = 0o755) -> Path:
    path = directory / name
    path.write_text(PRELUDE + textwrap.dedent(body))
    path.chmod(mode)
    return path


def read_log(path: Path) -> list[list[Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def logged(entries: list[list[Any]], kind: str) -> list[list[Any]]:
    return [entry for entry in entries if entry[0] == kind]


# The suite's clock start (tests/conftest.py `clock_start`), set by the `rigs` fixture: the
# scripts here do not depend on the hour, the real menu script's test states its own.
CLOCK_START: list[float] = []


class Rig:
    def __init__(
        self, tmp_path: Path, dialplan: str, speed: float = 50.0, start: float | None = None
    ) -> None:
        self.log = tmp_path / "agi.log"
        conf = tmp_path / "extensions.conf"
        conf.write_text(textwrap.dedent(dialplan))
        self.pbx = SimPBX(
            ScaledClock(speed=speed, start=CLOCK_START[0] if start is None else start),
            conf,
            {},
            FixedSounds(duration_s=1.0),
            random.Random(3),
            agi_dir=tmp_path,
            agi_env={"AGI_TEST_LOG": str(self.log)},
        )
        self.events = EventLog()
        self.pbx.subscribe(self.events)

    def var(self, name: str) -> list[str]:
        return [dict(e)["Value"] for e in self.events.matching("VarSet", Variable=name)]


@pytest.fixture
async def rigs(clock_start: float) -> Any:
    CLOCK_START[:] = [clock_start]
    made: list[Rig] = []
    yield made
    for rig in made:
        await rig.pbx.close()


AGI_CALL = """\
[hotline-in]
exten => 1,1,Answer()
 same => n,AGI({script})
 same => n,NoOp(AGISTATUS=${{AGISTATUS}})
"""


async def call(rig: Rig, exten: str = "1", digits: list[str] | None = None) -> Any:
    placed = await rig.pbx.place_call(exten, SimCaller(digits or [], 0.5, PATIENT), "7701")
    return placed, await asyncio.wait_for(placed.ended, 30)


def test_classic_env_block_has_no_network_lines_and_the_script_name_as_request() -> None:
    channel = SimChannel(
        name="PJSIP/trunk-00000001",
        uniqueid="1795316039.1",
        linkedid="1795316039.1",
        created_at=0.0,
        context="hotline-ivr",
        exten="s",
        priority=3,
        cid_num="7701",
        dnid="1414",
    )
    block = env_block(channel, "hotline_ivr.py", None, ["1414"], 139912345678912)
    assert block == (
        b"agi_request: hotline_ivr.py\n"
        b"agi_channel: PJSIP/trunk-00000001\n"
        b"agi_language: en\n"
        b"agi_type: PJSIP\n"
        b"agi_uniqueid: 1795316039.1\n"
        b"agi_version: 22.10.1\n"
        b"agi_callerid: 7701\n"
        b"agi_calleridname: unknown\n"
        b"agi_callingpres: 0\n"
        b"agi_callingani2: 0\n"
        b"agi_callington: 0\n"
        b"agi_callingtns: 0\n"
        b"agi_dnid: 1414\n"
        b"agi_rdnis: unknown\n"
        b"agi_context: hotline-ivr\n"
        b"agi_extension: s\n"
        b"agi_priority: 3\n"
        b"agi_enhanced: 0.0\n"
        b"agi_accountcode: \n"
        b"agi_threadid: 139912345678912\n"
        b"agi_arg_1: 1414\n"
        b"\n"
    )
    fast = env_block(channel, "agi://127.0.0.1:4573/ivr", "ivr", ["1414"], 139912345678912)
    assert fast == b"agi_network: yes\nagi_network_script: ivr\n" + block.replace(
        b"agi_request: hotline_ivr.py", b"agi_request: agi://127.0.0.1:4573/ivr"
    )


async def test_a_script_runs_commands_and_exits(tmp_path: Path, rigs: list[Rig]) -> None:
    rig = Rig(tmp_path, AGI_CALL.format(script="probe.py,a1,b 2"))
    rigs.append(rig)
    make_script(
        tmp_path,
        "probe.py",
        """
        command("ANSWER")
        command('SET VARIABLE "PROBE" "hello world"')
        command("GET VARIABLE PROBE")
        command("STREAM FILE hotline/ru/greeting \\"\\" 0")
        command("FROBNICATE")
        note("path", os.environ["PATH"].split(os.pathsep)[0], sys.executable)
        """,
    )
    _, summary = await call(rig)
    entries = read_log(rig.log)
    env = logged(entries, "env")[0][1]
    assert env.startswith("agi_request: probe.py\nagi_channel: PJSIP/trunk-")
    assert "agi_network" not in env
    assert env.endswith("agi_arg_1: a1\nagi_arg_2: b 2\n\n")
    assert logged(entries, "argv") == [["argv", ["a1", "b 2"]]]
    assert [entry[2] for entry in logged(entries, "reply")] == [
        "200 result=0\n",
        "200 result=1\n",
        "200 result=1 (hello world)\n",
        "200 result=0 endpos=8000\n",
        "510 Invalid or unknown command\n",
    ]
    # the shebang's `env python3` found the interpreter running the tests first on PATH
    (_, first_on_path, executable) = logged(entries, "path")[0]
    assert Path(executable).parent == Path(first_on_path)
    assert rig.var("AGISTATUS") == ["SUCCESS"]
    assert rig.var("PROBE") == ["hello world"]
    assert not logged(entries, "SIGHUP")
    assert summary.hung_up_by == "system"
    assert rig.events.matching("AGIExecStart", Command="GET VARIABLE PROBE")
    _assert_gone(logged(entries, "pid")[0][1])


async def test_a_missing_script_is_notfound(
    tmp_path: Path, rigs: list[Rig], caplog: pytest.LogCaptureFixture
) -> None:
    rig = Rig(tmp_path, AGI_CALL.format(script="nope.py,1414"))
    rigs.append(rig)
    await call(rig)
    assert f"Failed to execute '{tmp_path / 'nope.py'}': File does not exist." in caplog.text
    assert rig.var("AGISTATUS") == ["NOTFOUND"]


async def test_a_script_that_is_not_executable_fails(
    tmp_path: Path, rigs: list[Rig], caplog: pytest.LogCaptureFixture
) -> None:
    rig = Rig(tmp_path, AGI_CALL.format(script="plain.py"))
    rigs.append(rig)
    make_script(tmp_path, "plain.py", 'command("ANSWER")\n', mode=0o644)
    await call(rig)
    assert f"Failed to execute '{tmp_path / 'plain.py'}': Permission denied" in caplog.text
    assert rig.var("AGISTATUS") == ["FAILURE"]
    assert read_log(rig.log) == []


async def test_a_non_zero_exit_status_is_failure(tmp_path: Path, rigs: list[Rig]) -> None:
    rig = Rig(tmp_path, AGI_CALL.format(script="bad.py"))
    rigs.append(rig)
    make_script(tmp_path, "bad.py", 'command("ANSWER")\nsys.exit(3)\n')
    await call(rig)
    assert rig.var("AGISTATUS") == ["FAILURE"]


async def test_an_absolute_script_path_is_used_as_is(tmp_path: Path, rigs: list[Rig]) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = make_script(elsewhere, "abs.py", 'command("ANSWER")\n')
    rig = Rig(tmp_path, AGI_CALL.format(script=script))
    rigs.append(rig)
    await call(rig)
    assert rig.var("AGISTATUS") == ["SUCCESS"]
    assert logged(read_log(rig.log), "env")[0][1].startswith(f"agi_request: {script}\n")


HANGUP_SCRIPT = """
command("WAIT FOR DIGIT -1")
deadline = time.time() + 3
while not HUPS and time.time() < deadline:
    time.sleep(0.01)
note("quiet", quiet_for(0.3))  # no HANGUP line: that is FastAGI's
command("CHANNEL STATUS")
command("STREAM FILE hotline/ru/greeting \\"\\" 0")
command("SET VARIABLE AFTER_HANGUP yes")
command("GET VARIABLE AFTER_HANGUP")
"""


async def _hang_up_during_wait(rig: Rig) -> Any:
    placed = await rig.pbx.place_call("1", SimCaller([], 0.5, PATIENT), "7701")
    await rig.events.wait_for("AGIExecStart", Command="WAIT FOR DIGIT -1")
    assert rig.pbx.caller_hangs_up(placed.channel)
    return await asyncio.wait_for(placed.ended, 30)


async def test_hangup_sends_sighup_and_makes_the_channel_dead(
    tmp_path: Path, rigs: list[Rig]
) -> None:
    rig = Rig(tmp_path, AGI_CALL.format(script="hup.py"))
    rigs.append(rig)
    make_script(tmp_path, "hup.py", HANGUP_SCRIPT)
    summary = await _hang_up_during_wait(rig)
    entries = read_log(rig.log)
    replies = [entry[2] for entry in logged(entries, "reply")]
    assert replies == [
        "200 result=-1\n",
        DEAD,
        DEAD,
        "200 result=1\n",
        "200 result=1 (yes)\n",
    ]
    assert logged(entries, "SIGHUP") == [["SIGHUP"]]
    assert logged(entries, "quiet") == [["quiet", True]]
    assert rig.var("AGISTATUS") == ["HANGUP"]
    assert summary.hung_up_by == "caller"
    # AGI() returned -1: the NoOp after it never ran
    assert not rig.events.matching("Newexten", Application="NoOp")
    _assert_gone(logged(entries, "pid")[0][1])


async def test_agisighup_no_keeps_the_signal_back(tmp_path: Path, rigs: list[Rig]) -> None:
    rig = Rig(
        tmp_path,
        """\
        [hotline-in]
        exten => 1,1,Answer()
         same => n,Set(AGISIGHUP=no)
         same => n,AGI(hup.py)
        """,
    )
    rigs.append(rig)
    make_script(tmp_path, "hup.py", HANGUP_SCRIPT)
    await _hang_up_during_wait(rig)
    entries = read_log(rig.log)
    assert logged(entries, "SIGHUP") == []
    assert [entry[2] for entry in logged(entries, "reply")][:2] == ["200 result=-1\n", DEAD]
    assert rig.var("AGISTATUS") == ["HANGUP"]


async def test_a_script_outliving_its_channel_is_killed_and_reaped(
    tmp_path: Path, rigs: list[Rig], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(classic_agi, "REAP_AFTER_S", 0.5)
    rig = Rig(tmp_path, AGI_CALL.format(script="stuck.py"))
    rigs.append(rig)
    make_script(
        tmp_path,
        "stuck.py",
        """
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        command("WAIT FOR DIGIT -1")
        time.sleep(60)
        """,
    )
    await _hang_up_during_wait(rig)
    _assert_gone(logged(read_log(rig.log), "pid")[0][1])
    assert rig.var("AGISTATUS") == ["HANGUP"]


async def test_closing_the_pbx_kills_a_running_script(tmp_path: Path, rigs: list[Rig]) -> None:
    rig = Rig(tmp_path, AGI_CALL.format(script="forever.py"))
    make_script(tmp_path, "forever.py", 'command("WAIT FOR DIGIT -1")\ntime.sleep(60)\n')
    await rig.pbx.place_call("1", SimCaller([], 0.5, PATIENT), "7701")
    await rig.events.wait_for("AGIExecStart", Command="WAIT FOR DIGIT -1")
    pid = logged(read_log(rig.log), "pid")[0][1]
    await rig.pbx.close()
    _assert_gone(pid)


def _assert_gone(pid: int) -> None:
    """The child exited and was reaped (no zombie left with this pid)."""
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


# --- the h extension -----------------------------------------------------------------------

H_DIALPLAN = """\
[hotline-in]
exten => 1,1,Answer()
 same => n,Set(STAGE=main)
 same => n,Wait(60)
 same => n,Set(NEVER_MAIN=yes)
exten => h,1,NoOp(h for ${STAGE})
 same => n,Set(H_RAN=yes)
 same => n,GotoIf($["${STAGE}" = "main"]?agi)
 same => n,Set(H_WRONG=yes)
 same => n(agi),AGI(dead.py,${STAGE})
 same => n,Set(AFTER=${AGISTATUS})
 same => n,Wait(1)
 same => n,Set(NEVER_H=yes)
"""


async def test_the_h_extension_runs_after_a_hangup_with_agi_in_dead_mode(
    tmp_path: Path, rigs: list[Rig]
) -> None:
    rig = Rig(tmp_path, H_DIALPLAN)
    rigs.append(rig)
    make_script(
        tmp_path,
        "dead.py",
        """
        command("CHANNEL STATUS")
        command("SET VARIABLE DEAD_SET 1")
        command("GET VARIABLE STAGE")
        note("quiet", quiet_for(0.2))
        """,
    )
    placed = await rig.pbx.place_call("1", SimCaller([], 0.5, PATIENT), "7701")
    await rig.events.wait_for("Newexten", Application="Wait")
    rig.pbx.caller_hangs_up(placed.channel)
    summary = await asyncio.wait_for(placed.ended, 30)
    assert summary.hung_up_by == "caller"
    h_steps = [dict(e)["Application"] for e in rig.events.matching("Newexten", Extension="h")]
    assert h_steps == ["NoOp", "Set", "GotoIf", "AGI", "Set", "Wait"]
    assert rig.var("H_RAN") == ["yes"]
    assert rig.var("H_WRONG") == []
    assert rig.var("NEVER_MAIN") == rig.var("NEVER_H") == []
    entries = read_log(rig.log)
    assert logged(entries, "argv") == [["argv", ["main"]]]
    assert [entry[2] for entry in logged(entries, "reply")] == [
        DEAD,
        "200 result=1\n",
        "200 result=1 (main)\n",
    ]
    # dead from the start: no SIGHUP, no HANGUP line, and AGISTATUS is not HANGUP
    assert logged(entries, "SIGHUP") == []
    assert logged(entries, "quiet") == [["quiet", True]]
    assert rig.var("AFTER") == ["SUCCESS"]
    assert rig.var("DEAD_SET") == ["1"]
    # the channel's Hangup comes after its h extension
    names = [dict(e)["Event"] for e in rig.events.events]
    assert names.index("Hangup") > max(
        i for i, e in enumerate(rig.events.events) if dict(e).get("Extension") == "h"
    )


async def test_a_context_without_h_just_hangs_up(tmp_path: Path, rigs: list[Rig]) -> None:
    rig = Rig(tmp_path, "[hotline-in]\nexten => 1,1,Answer()\n same => n,Set(X=1)\n")
    rigs.append(rig)
    await call(rig)
    assert not rig.events.matching("Newexten", Extension="h")


async def test_h_runs_after_the_dialplan_hangs_up_itself(tmp_path: Path, rigs: list[Rig]) -> None:
    rig = Rig(
        tmp_path,
        """\
        [hotline-in]
        exten => 1,1,Answer()
         same => n,Hangup()
        exten => h,1,Set(CLEANED=${EXTEN})
        """,
    )
    rigs.append(rig)
    _, summary = await call(rig)
    assert rig.var("CLEANED") == ["h"]
    assert summary.hung_up_by == "system"


# --- the real menu script --------------------------------------------------------------------


ALMATY = ZoneInfo("Asia/Almaty")


@pytest.mark.parametrize(
    ("local_time", "result"),
    [
        # 1414 opens 09:00-21:00: a caller at 11:00 waits for an operator
        (datetime(2026, 11, 20, 11, 0, tzinfo=ALMATY), "enqueue"),
        # at 22:30 the closed-hours menu offers a call-back (the caller's "1")
        (datetime(2026, 11, 20, 22, 30, tzinfo=ALMATY), "callback"),
    ],
    ids=["open-11:00", "closed-22:30"],
)
async def test_hotline_ivr_script_asks_for_the_language_first(
    tmp_path: Path, rigs: list[Rig], local_time: datetime, result: str
) -> None:
    """The script runs in its own process on the machine's clock: the simulator hands it
    the simulated time of day (HOTLINE_TIME_OFFSET_S), whatever the machine's clock says."""
    rig = Rig(
        tmp_path,
        """\
        [hotline-in]
        exten => 1414,1,Answer()
         same => n,AGI(hotline_ivr.py,1414)
         same => n,NoOp(result ${HOTLINE_IVR_RESULT})
        """,
        speed=20.0,
        start=local_time.timestamp(),
    )
    rig.pbx.agi_dir = REPO_ROOT / "agi_scripts"
    # nothing listens on port 1: the mode read fails fast and the menu is the normal one
    rig.pbx.agi_env = {"HOTLINE_REDIS_URL": "redis://127.0.0.1:1/0"}
    rigs.append(rig)
    placed = await rig.pbx.place_call("1414", SimCaller(["2", "1"], 0.5, PATIENT), "7701")
    first = await rig.events.wait_for("AGIExecStart", timeout_s=20)
    assert dict(first)["Command"] == "GET DATA hotline/kk/choose-language-kk-ru-en 5000 1"
    await asyncio.wait_for(placed.ended, 60)
    commands = [dict(e)["Command"] for e in rig.events.matching("AGIExecStart")]
    assert commands[0] == "GET DATA hotline/kk/choose-language-kk-ru-en 5000 1"
    # the caller's "2" chose Russian, whatever the machine does next
    assert rig.var("HOTLINE_LANG") == ["ru"]
    assert rig.var("HOTLINE_IVR_RESULT") == [result]
    assert rig.var("AGISTATUS") == ["SUCCESS"]

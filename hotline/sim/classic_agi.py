"""The Asterisk side of classic AGI: what `AGI(script,args)` does when `script` is not an
`agi://` URL.

As res_agi's launch_script and run_agi do (Asterisk 22; see docs/ or the report of the
classic-AGI work for the sources):

- `script` is looked up in the AGI directory (astagidir) unless it is an absolute path.
  A missing file: warning `Failed to execute '<path>': File does not exist.` and
  AGISTATUS=NOTFOUND, nothing is started.
- The file is exec'd directly (it needs its executable bit and a `#!` line) with argv
  `[script, args...]`, stdin and stdout on pipes, stderr inherited. If exec fails, the
  forked child says `failure` and exits 1: AGISTATUS=FAILURE.
- The env block is the FastAGI one without the two `agi_network` lines; `agi_request` is
  the script name as written in the dialplan.
- A hangup (or Redirect) while the script runs: the pending command answers
  `200 result=-1`, then Asterisk sends the child **SIGHUP** (not a `HANGUP` line: that is
  FastAGI only) unless the channel variable AGISIGHUP is false (`no`). Further commands
  not allowed on a dead channel get 511. AGISTATUS=HANGUP.
- When the script closes its stdout (it exits), Asterisk waits for the child; a non-zero
  exit status turns SUCCESS into FAILURE.
- On a channel that has already hung up (an `h` extension) AGI runs in dead mode from the
  start: no SIGHUP, no hangup watch, 511 for channel commands.

The simulator reaps every child: one that outlives its channel by `REAP_AFTER_S` real
seconds is killed (SIGKILL) by pid.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from hotline.sim.agi_host import AgiHost
from hotline.sim.agi_session import AgiSession
from hotline.sim.channel import SimChannel
from hotline.sim.fastagi_client import env_block, split_agi_data, thread_id

log = logging.getLogger("hotline.sim.agi")

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_AGI_DIR = REPO_ROOT / "agi_scripts"
TIME_OFFSET_ENV = "HOTLINE_TIME_OFFSET_S"  # read by agi_scripts/hotline_ivr.py
REAP_AFTER_S = 5.0  # real seconds a child may outlive its channel before it is killed
_FALSE = frozenset({"no", "false", "n", "f", "0", "off"})  # ast_false()


def child_environment(
    extra: Mapping[str, str], agi_dir: Path, clock_now: float | None = None
) -> dict[str, str]:
    """The child's environment: ours, `extra`, the AST_AGI_DIR Asterisk sets, and the
    directory of our Python first on PATH so that `#!/usr/bin/env python3` finds it.

    `clock_now`: the simulated time now. The script reads the machine's clock, which a
    simulated PBX does not share, so it gets HOTLINE_TIME_OFFSET_S (seconds to add to the
    machine's clock) to see the simulated time of day: a simulation and testing aid, never
    set on a real Asterisk host."""
    env = dict(os.environ)
    env.update(extra)
    if clock_now is not None:
        env[TIME_OFFSET_ENV] = f"{clock_now - time.time():.6f}"
    env["AST_AGI_DIR"] = str(agi_dir)
    python_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([python_dir, env.get("PATH", os.defpath)])
    return env


class _ClassicTransport:
    """The child process side: SIGHUP on hangup, wait for (or kill) the child at the end."""

    def __init__(
        self, host: AgiHost, channel: SimChannel, process: asyncio.subprocess.Process
    ) -> None:
        self.host = host
        self.channel = channel
        self.process = process
        self.signalled = False

    def _send_sighup(self) -> bool:
        value = self.host.channel_var(self.channel, "AGISIGHUP") or ""
        return value.strip().lower() not in _FALSE

    async def notify_dead(self) -> None:
        if not self._send_sighup() or self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGHUP)
            self.signalled = True

    async def finish(self) -> bool:
        """The child closed stdout: close its stdin and wait for it (kill a straggler)."""
        self.close_stdin()
        returncode = await reap(self.process, REAP_AFTER_S)
        return returncode == 0

    def close_stdin(self) -> None:
        stdin = self.process.stdin
        if stdin is not None:
            with contextlib.suppress(ConnectionError, OSError):
                stdin.close()


async def reap(process: asyncio.subprocess.Process, limit_s: float) -> int:
    """Wait for `process`; SIGKILL it by pid after `limit_s` real seconds. Its exit code."""
    try:
        return await asyncio.wait_for(process.wait(), limit_s)
    except TimeoutError:
        log.warning("AGI script pid %d did not exit: killing it", process.pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        return await process.wait()


async def _kill_if_channel_gone(
    channel: SimChannel, process: asyncio.subprocess.Process, limit_s: float
) -> None:
    """A child that outlives its channel by `limit_s` real seconds is killed."""
    await channel.interrupted.wait()
    if channel.redirect_to is not None and channel.hangup_cause is None:
        return  # a Redirect: the channel lives on, the script may still finish its work
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.wait(), limit_s)
        return
    log.warning("AGI script pid %d outlived its channel %s: killing it", process.pid, channel.name)
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGKILL)


def script_path(name: str, agi_dir: Path) -> Path:
    """Where res_agi looks for `name`: as is if absolute, else in the AGI directory."""
    return Path(name) if name.startswith("/") else agi_dir / name


async def run_classic_agi(
    host: AgiHost, channel: SimChannel, data: str, agi_dir: Path, agi_env: Mapping[str, str]
) -> None:
    """AGI(script,args): run the script as a child process; set AGISTATUS."""
    name, args = split_agi_data(data)
    path = script_path(name, agi_dir)
    if not path.exists():
        log.warning("Failed to execute '%s': File does not exist.", path)
        host.set_channel_var(channel, "AGISTATUS", "NOTFOUND")
        return
    try:
        process = await asyncio.create_subprocess_exec(
            str(path),
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=child_environment(agi_env, agi_dir, host.clock.now()),
        )
    except OSError as error:
        # The forked child's exec failed: it writes `failure` and exits 1 (res_agi).
        log.warning("Failed to execute '%s': %s", path, error.strerror)
        host.set_channel_var(channel, "AGISTATUS", "FAILURE")
        return
    log.info("Launched AGI Script %s", path)
    assert process.stdin is not None
    assert process.stdout is not None
    transport = _ClassicTransport(host, channel, process)
    session = AgiSession(host, channel, process.stdout, process.stdin, transport)
    watchdog = asyncio.get_running_loop().create_task(
        _kill_if_channel_gone(channel, process, REAP_AFTER_S)
    )
    try:
        status = await session.run(env_block(channel, name, None, args, thread_id(host)))
    finally:
        watchdog.cancel()
        if process.returncode is None:
            # cancelled (the PBX closes) or an error: never leave the child behind
            transport.close_stdin()
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(process.wait())
    log.info("<%s>AGI Script %s completed, returning %s", channel.name, name, status)
    host.set_channel_var(channel, "AGISTATUS", status)

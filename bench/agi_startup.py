"""How fast agi_scripts/hotline_ivr.py reaches its first AGI command.

Asterisk forks the script for every call, and the caller hears nothing until its first
command arrives. This plays a fake Asterisk on pipes: it spawns the script N times, sends
the classic-AGI env block, and measures from just before the spawn to the first command
line. It then answers as a caller who hangs up at once (`200 result=-1`, SIGHUP, 511), so
each run ends quickly.

    python bench/agi_startup.py            # 20 runs, hotline 1414
    python bench/agi_startup.py --smoke    # 3 runs
    python bench/agi_startup.py -n 50 --hotline 109

Prints min/p50/p95/max in ms and which command came first. Exits non-zero only on errors
(a script that sends nothing, or fails), never because it is slow.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPT = REPO_ROOT / "agi_scripts" / "hotline_ivr.py"
DEAD = b"511 Command Not Permitted on a dead channel or intercept routine\n"


def env_block(hotline_id: str) -> bytes:
    lines = [
        ("agi_request", "hotline_ivr.py"),
        ("agi_channel", "PJSIP/trunk-00000001"),
        ("agi_language", "en"),
        ("agi_type", "PJSIP"),
        ("agi_uniqueid", "1795316039.1"),
        ("agi_version", "22.10.1"),
        ("agi_callerid", "77010000000"),
        ("agi_calleridname", "unknown"),
        ("agi_callingpres", "0"),
        ("agi_callingani2", "0"),
        ("agi_callington", "0"),
        ("agi_callingtns", "0"),
        ("agi_dnid", hotline_id),
        ("agi_rdnis", "unknown"),
        ("agi_context", "hotline-ivr"),
        ("agi_extension", "s"),
        ("agi_priority", "3"),
        ("agi_enhanced", "0.0"),
        ("agi_accountcode", ""),
        ("agi_threadid", "139912345678912"),
        ("agi_arg_1", hotline_id),
    ]
    return "".join(f"{key}: {value}\n" for key, value in lines).encode() + b"\n"


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("HOTLINE_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing there: fast error
    return env


def one_run(hotline_id: str, env: dict[str, str]) -> tuple[float, str]:
    """Milliseconds from just before the spawn to the first command line, and that line."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(SCRIPT), hotline_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        process.stdin.write(env_block(hotline_id))
        process.stdin.flush()
        first = process.stdout.readline()
        elapsed_ms = (time.perf_counter() - started) * 1000
        if not first.endswith(b"\n"):
            raise RuntimeError(f"the script sent no command (exit {process.wait(10)})")
        # the caller hangs up: -1, SIGHUP, then every channel command is refused
        process.stdin.write(b"200 result=-1\n")
        process.stdin.flush()
        os.kill(process.pid, signal.SIGHUP)
        while line := process.stdout.readline():
            allowed_dead = line.upper().startswith((b"SET VARIABLE", b"VERBOSE", b"GET "))
            process.stdin.write(b"200 result=1\n" if allowed_dead else DEAD)
            process.stdin.flush()
        process.stdin.close()
        code = process.wait(10)
        if code != 0:
            raise RuntimeError(f"the script exited with {code}")
        return elapsed_ms, first.decode().rstrip("\n")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="3 runs")
    parser.add_argument("--hotline", default="1414")
    args = parser.parse_args(argv)
    runs = 3 if args.smoke else args.runs
    env = child_env()
    times: list[float] = []
    firsts: set[str] = set()
    try:
        for _ in range(runs):
            elapsed_ms, first = one_run(args.hotline, env)
            times.append(elapsed_ms)
            firsts.add(first)
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{runs} runs of {SCRIPT.name} {args.hotline}: spawn -> first AGI command")
    print(
        f"  min {min(times):.1f} ms  p50 {statistics.median(times):.1f} ms"
        f"  p95 {percentile(times, 0.95):.1f} ms  max {max(times):.1f} ms"
    )
    for first in sorted(firsts):
        print(f"  first command: {first}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

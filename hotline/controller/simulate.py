"""`hotline simulate`: the whole controller against the PBX simulator, over real TCP.

The simulator stands where Asterisk would: it runs the shipped dialplan, opens FastAGI
sessions to the controller and speaks AMI to it. Callers arrive at random (Poisson) at the
given rate and press digits as the menu asks; operators answer after a ring and talk for an
exponentially distributed time around the given mean. The figures at the end come from the
call records as read back from SQL, not from counters kept on the side.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import get_args
from zoneinfo import ZoneInfo

import redis.asyncio as redis_async

from hotline.clock import ScaledClock
from hotline.config import HotlineConfig, find_hotline, load_hotline
from hotline.config.callbacks import NUMBER_RE
from hotline.config.overflow import OverflowAction
from hotline.controller.app import AmiSettings, Controller, ControllerSettings
from hotline.controller.callers import CallerFactory, DemoData, seed_demo_data
from hotline.controller.ownership import LEASE_TTL_S
from hotline.controller.summary import RunSummary, summarise
from hotline.ivr.iin import KEY_ENV, KEY_FILE_ENV, IinHasher, load_iin_key
from hotline.queue import AcdKeys
from hotline.redact import url_without_password
from hotline.redis_server import RedisProcess
from hotline.shifts import is_open, on_shift
from hotline.sim import SimCall, SimOperator, SimPBX, WavSounds
from hotline.sim.ami_server import AmiServer
from hotline.sim.ami_users import shipped_user

log = logging.getLogger(__name__)

#: Real seconds the only controller of a simulated run keeps its lease without renewing it.
SIM_LEASE_REAL_S = 10.0

REPO_ROOT = Path(__file__).resolve().parents[2]
DIALPLAN = REPO_ROOT / "config" / "asterisk" / "extensions.conf"
FALLBACK_DIAL = "PJSIP/duty"
# How long after the last call ended the controller may take to write the last records: a
# deadline (at least the clock's real-time floor, however fast the run).
_RECORD_GRACE_S = 30.0
# The share of callers whose line is busy when called back.
CALLER_BUSY_SHARE = 0.2


@dataclass(frozen=True)
class SimulationOptions:
    hotline: str = "400-100"
    calls: int = 100
    rate_per_min: float = 10.0
    operators: int = 5
    aht_s: float = 60.0
    patience_s: float = 120.0
    seed: int = 1
    speed: float = 60.0
    data_dir: Path = Path("var")
    redis_url: str | None = None
    database_url: str | None = None
    # Where the simulated clock starts, epoch seconds (None: now). The time of day decides
    # the opening hours and the shift on duty, as it would on the real hotline.
    start: float | None = None


def pick_operators(hotline: HotlineConfig, at: float, count: int) -> list[str]:
    """`count` operators of the shift on at `at`, chosen so every queue is covered if
    possible, then in the plan's order."""
    on = on_shift(hotline, at)
    chosen: list[str] = []
    uncovered = {q.id for q in hotline.queues}
    for op in on:
        if len(chosen) >= count:
            break
        serves = {q.id for q in hotline.queues_for(op)}
        if serves & uncovered:
            chosen.append(op.id)
            uncovered -= serves
    for op in on:
        if len(chosen) >= count:
            break
        if op.id not in chosen:
            chosen.append(op.id)
    return chosen


async def _clear_hotline_keys(url: str, hotline_id: str) -> int:
    client = redis_async.Redis.from_url(url)
    try:
        doomed = [k async for k in client.scan_iter(match=AcdKeys(hotline_id).prefix + "*")]
        if doomed:
            await client.delete(*doomed)
        return len(doomed)
    finally:
        await client.aclose()


async def run_simulation(
    options: SimulationOptions,
    on_progress: Callable[[int, int], None] | None = None,
    before_stop: Callable[[Controller], Awaitable[None]] | None = None,
    hotline: HotlineConfig | None = None,
) -> RunSummary:
    """Run one simulated stretch of a hotline; the summary read back from SQL.

    `hotline`: the configuration of `options.hotline` if the caller has loaded it already.
    """
    if hotline is None:
        hotline = load_hotline(find_hotline(options.hotline))
    # Separate streams: the callers (arrivals, digits, patience) are the same for a seed
    # whatever order the run's events happen in; the operators' and the PBX's draws are not.
    callers_rng = random.Random(options.seed)
    rng = random.Random(f"{options.seed}/operators")
    clock = ScaledClock(options.speed, start=options.start)
    started = datetime.fromtimestamp(clock.now(), ZoneInfo(hotline.timezone))
    options.data_dir.mkdir(parents=True, exist_ok=True)
    database_url = options.database_url or f"sqlite:///{options.data_dir / 'hotline.db'}"

    private: RedisProcess | None = None
    redis_url = options.redis_url or os.environ.get("REDIS_URL")
    if redis_url is None:
        redis_dir = Path(tempfile.mkdtemp(prefix="hotline-redis-"))
        private = RedisProcess(redis_dir)
        private.start()
        redis_url = private.url
    else:
        cleared = await _clear_hotline_keys(redis_url, hotline.id)
        if cleared:
            log.warning(
                "cleared %d keys of hotline %s in %s",
                cleared,
                hotline.id,
                url_without_password(redis_url),
            )

    present = pick_operators(hotline, clock.now(), options.operators)
    # In the summary (the CLI prints it under the figures), not only in a log line.
    warnings = _operator_warnings(hotline, clock.now(), options.operators, len(present))
    # The prompts play as long as the rendered files do, as they would on Asterisk.
    sounds = WavSounds(REPO_ROOT / "prompts")
    pbx = SimPBX(clock, DIALPLAN, {"HOTLINE_FALLBACK_DIAL": FALLBACK_DIAL}, sounds, rng)

    def talk() -> float:
        return max(5.0, rng.expovariate(1.0 / options.aht_s))

    for op_id in [*present, None]:
        dial = FALLBACK_DIAL if op_id is None else hotline.operator(op_id).dial
        pbx.add_operator(dial, SimOperator(ring_s=rng.uniform(2.0, 6.0), talk_s=talk))
    # The callers' own phones, for the call-backs: a stream of its own, so that the callers
    # stay the same for a seed.
    phones = random.Random(f"{options.seed}/phones")

    def phone() -> SimOperator:
        busy = phones.random() < CALLER_BUSY_SHARE
        return SimOperator(ring_s=phones.uniform(2.0, 8.0), talk_s=talk, busy=busy)

    secret = secrets.token_hex(8)
    # The IIN key of a deployment if one is set, else one for this run only: the demo list
    # is imported with it, so its hashes mean nothing outside the run.
    has_key = os.environ.get(KEY_ENV) or os.environ.get(KEY_FILE_ENV)
    iin_key = load_iin_key(os.environ) if has_key else secrets.token_bytes(32)
    demo = DemoData.generate(random.Random(f"{options.seed}/demo"))
    # The shipped manager.conf's rights: the run proves the controller needs no more.
    ami_server = AmiServer(pbx, {"hotline": shipped_user("hotline", secret)}, clock)
    controller: Controller | None = None
    try:
        ami_port = await ami_server.start("127.0.0.1", 0)
        lease_ttl_s = max(LEASE_TTL_S, SIM_LEASE_REAL_S * clock.speed)
        settings = ControllerSettings(
            redis_url=redis_url,
            database_url=database_url,
            data_dir=options.data_dir,
            ami=AmiSettings(host="127.0.0.1", port=ami_port, username="hotline", secret=secret),
            agi_port=0,
            metrics_port=0,
            iin_key=iin_key,
            # One controller in the run: its lease need only outlast a loaded machine's
            # scheduling: 15 simulated seconds are 50 real ms at speed 300, and a loaded
            # machine let such a lease lapse between two renewals.
            lease_ttl_s=lease_ttl_s,
            lease_renew_s=lease_ttl_s / 3,
        )
        present_by_hotline = {hotline.id: set(present)}
        controller = Controller(settings, {hotline.id: hotline}, clock, present_by_hotline)
        agi_port = await controller.start_listeners()
        await asyncio.to_thread(
            seed_demo_data,
            controller.store.engine,
            hotline,
            demo,
            IinHasher(iin_key),
            options.data_dir,
        )
        # The dialplan reaches the controller through this global, as a real deployment's
        # [globals] HOTLINE_AGI does.
        pbx.setvar(None, "HOTLINE_AGI", f"agi://127.0.0.1:{agi_port}")
        await controller.connect()

        factory = CallerFactory(
            hotline, callers_rng, options.patience_s, demo, is_open(hotline, clock.now())
        )
        calls = await _place_calls(
            pbx, hotline, options, factory, callers_rng, clock, on_progress, phone
        )
        await asyncio.gather(*(c.ended for c in calls))
        await clock.deadline(controller.tracker.wait_idle(), _RECORD_GRACE_S)
        if present:
            await _callbacks_settled(controller, hotline, clock)
        # else nobody can place a call-back: those requested wait for the next shift
        stored = await asyncio.to_thread(controller.store.fetch_all)
        ours = [r for r in stored if r.call_id in controller.call_ids]
        tried = await asyncio.to_thread(controller.store.fetch_attempts)
        attempts = [a for a in tried if a.call_id in controller.call_ids]
        if before_stop is not None:
            await before_stop(controller)
        overflows = {
            action: int(value)
            for action in get_args(OverflowAction)
            if (
                value := controller.registry.get_sample_value(
                    "hotline_overflows_total", {"hotline": hotline.id, "action": action}
                )
            )
        }
        summary = summarise(len(calls), ours, hotline.service_level_s, attempts, overflows)
        return replace(
            summary,
            operators=len(present),
            start=started.isoformat(timespec="minutes"),
            warnings=warnings,
        )
    finally:
        if controller is not None:
            await controller.stop()
        await ami_server.close()
        if private is not None:
            private.stop()
            shutil.rmtree(redis_dir, ignore_errors=True)


def _operator_warnings(hotline: HotlineConfig, at: float, asked: int, present: int) -> list[str]:
    """What the summary must say about the operators: fewer on shift than --operators."""
    if present >= asked:
        return []
    local = datetime.fromtimestamp(at, ZoneInfo(hotline.timezone))
    return [
        f"--operators {asked}: only {present} operator(s) of hotline {hotline.id} are on "
        f"shift at {local:%a %Y-%m-%d %H:%M} ({hotline.timezone}); the run used {present}"
    ]


async def _callbacks_settled(
    controller: Controller, hotline: HotlineConfig, clock: ScaledClock
) -> None:
    """Wait until no call-back request is waiting or being placed (every caller has hung
    up by now, so whatever still waits is a call-back), at most for every retry."""
    settings = hotline.callbacks
    limit_s = settings.max_attempts * (settings.retry_after_s + 4 * hotline.ring_timeout_s + 600)
    acd = controller.acds[hotline.id]

    async def settled() -> None:
        while await acd.waiting_count() or controller.dispatcher.callbacks.in_flight():
            await clock.sleep(1.0)

    try:
        await clock.deadline(settled(), limit_s)
    except TimeoutError:
        log.warning("call-backs still pending at the end of the run")


async def _place_calls(
    pbx: SimPBX,
    hotline: HotlineConfig,
    options: SimulationOptions,
    factory: CallerFactory,
    rng: random.Random,
    clock: ScaledClock,
    on_progress: Callable[[int, int], None] | None,
    phone: Callable[[], SimOperator],
) -> list[SimCall]:
    calls: list[SimCall] = []
    ended = 0

    def one_ended(_: object) -> None:
        nonlocal ended
        ended += 1
        if on_progress is not None:
            on_progress(ended, options.calls)

    for _ in range(options.calls):
        await clock.sleep(rng.expovariate(options.rate_per_min / 60.0))
        number = factory.number()
        # The caller's phone, should they ask to be called back (busy one time in five).
        if NUMBER_RE.match(number):
            pbx.add_operator(hotline.callbacks.dial_string(number), phone())
        call = await pbx.place_call(hotline.number, factory.caller(), number)
        asyncio.ensure_future(call.ended).add_done_callback(one_ended)
        calls.append(call)
    return calls

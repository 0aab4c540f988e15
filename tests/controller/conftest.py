"""Fixtures for the controller tests: the whole controller against the PBX simulator.

`make_rig(...)` builds one `Rig`: a SimPBX running the shipped extensions.conf, the
simulator's AMI server, and a real `Controller` (FastAGI, AMI client, dispatcher, shift
keeper, records in SQLite under tmp_path, Redis from the session's private server), all on
one fast `ScaledClock` that starts at 10:00 local time on Friday 2026-11-20 (the 400-100 day
shift, op01-op05; inside every shipped hotline's opening hours) unless the test gives another
`start`: a fixed date, so no test depends on the machine's clock or calendar.
Everything is closed after the test, in the order that lets nothing react to a half-closed
neighbour: controller, AMI server, PBX.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

import pytest

from hotline.clock import ScaledClock
from hotline.config import HotlineConfig, find_hotline, load_hotline
from hotline.controller.app import AmiSettings, Controller, ControllerSettings
from hotline.queue import Acd
from hotline.records import CallRecord
from hotline.sim import AmiServer, FixedSounds, Headers, SimCall, SimCaller, SimOperator, SimPBX
from hotline.sim.ami_users import shipped_user

REPO_ROOT = Path(__file__).resolve().parents[2]
DIALPLAN = REPO_ROOT / "config" / "asterisk" / "extensions.conf"
DUTY_DIAL = "PJSIP/duty"  # the HOTLINE_FALLBACK_DIAL global of extensions.conf
AMI_USER = "hotline"
AMI_SECRET = "controller-tests"
# Fast enough for a quick suite, slow enough that the AMI client's timeouts (3 s for a Pong,
# 10 s for an answer, in clock seconds) stay far above real socket latencies.
SPEED = 50.0
# Bounds on waits, in simulated seconds (at SPEED 50: a fiftieth of that in real seconds).
CALL_DEADLINE_S = 600.0
IDLE_DEADLINE_S = 300.0

T = TypeVar("T")


def hotline_400_100(**changes: Any) -> HotlineConfig:
    """The shipped 400-100 configuration, with `changes` applied (e.g. ring_timeout_s=5)."""
    config = load_hotline(find_hotline("400-100"))
    return config.model_copy(update=changes) if changes else config


def without_overflow(config: HotlineConfig) -> HotlineConfig:
    """`config` with no overflow rules: callers wait however long it takes."""
    queues = [queue.model_copy(update={"overflow": []}) for queue in config.queues]
    return config.model_copy(update={"queues": queues})


def talks(seconds: float) -> Callable[[], float]:
    return lambda: seconds


class PbxEvents:
    """Every event the PBX emitted (as AMI headers), with a waiter for the next one a test
    needs. Subscribed directly to the PBX, so it sees events the controller may miss."""

    def __init__(self) -> None:
        self.events: list[dict[str, str]] = []
        self._changed = asyncio.Event()

    def __call__(self, headers: Headers) -> None:
        self.events.append(dict(headers))
        self._changed.set()

    def matching(self, name: str, **fields: str) -> list[dict[str, str]]:
        return [
            e
            for e in self.events
            if e.get("Event") == name and all(e.get(k) == v for k, v in fields.items())
        ]

    async def first(
        self, predicate: Callable[[dict[str, str]], bool], clock: ScaledClock, within_s: float
    ) -> dict[str, str]:
        """The first event for which `predicate` holds, waiting at most `within_s`."""

        async def scan() -> dict[str, str]:
            seen = 0
            while True:
                for event in self.events[seen:]:
                    if predicate(event):
                        return event
                seen = len(self.events)
                self._changed.clear()
                await self._changed.wait()

        return await clock.deadline(scan(), within_s)


@dataclass
class Rig:
    clock: ScaledClock
    hotline: HotlineConfig
    pbx: SimPBX
    ami_server: AmiServer
    ami_port: int
    controller: Controller
    events: PbxEvents
    _callers: int = field(default=0)
    present: frozenset[str] = frozenset()
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @property
    def acd(self) -> Acd:
        return self.controller.acds[self.hotline.id]

    async def call(self, caller: SimCaller) -> SimCall:
        self._callers += 1
        return await self.pbx.place_call(
            self.hotline.number, caller, f"+770100000{self._callers:02d}"
        )

    async def within(self, awaitable: Awaitable[T], seconds: float = CALL_DEADLINE_S) -> T:
        """`awaitable`, failing the test if it takes more than `seconds` of clock time."""
        return await self.clock.deadline(awaitable, seconds)

    async def settle(self) -> list[CallRecord]:
        """Once the controller has no call left: every stored record."""
        await self.within(self.controller.tracker.wait_idle(), IDLE_DEADLINE_S)
        return await self.records()

    async def records(self) -> list[CallRecord]:
        """Every record in the database now."""
        return await asyncio.to_thread(self.controller.store.fetch_all)

    async def restart_controller(
        self, present: Collection[str] | None = None, *, connect: bool = True
    ) -> Controller:
        """A new Controller on the same settings, hotline and clock, as after a restart of
        the process (stop the old one first): its FastAGI listens on a new port, which the
        PBX's HOTLINE_AGI now names; `connect` False leaves AMI to the test.
        `present`: who logs in (default: as for the first controller)."""
        old = self.controller
        who = set(self.present if present is None else present)
        controller = Controller(old.settings, old.hotlines, self.clock, {self.hotline.id: who})
        self.closers.append(controller.stop)
        self.controller = controller
        agi_port = await controller.start_listeners()
        self.pbx.setvar(None, "HOTLINE_AGI", f"agi://127.0.0.1:{agi_port}")
        if connect:
            await controller.connect()
        return controller

    async def add_controller(
        self, present: Collection[str] | None = None, **settings: Any
    ) -> Controller:
        """A second Controller on the same Redis, database, AMI server, hotline and clock, as
        a second `hotline serve` process: listening and connected. The PBX's HOTLINE_AGI
        still names the first one (`point_agi_at` moves it). `present`: who logs in
        (default: as for the first controller); `settings`: ControllerSettings to change."""
        first = self.controller
        who = set(self.present if present is None else present)
        controller = Controller(
            replace(first.settings, **settings),
            first.hotlines,
            self.clock,
            {self.hotline.id: who},
        )
        self.closers.append(controller.stop)
        await controller.start_listeners()
        await controller.connect()
        return controller

    def point_agi_at(self, controller: Controller) -> None:
        """Send the callers' FastAGI to `controller` (what a failover of the address does)."""
        self.pbx.setvar(None, "HOTLINE_AGI", f"agi://127.0.0.1:{controller.agi_port}")

    async def restart_ami_server(self) -> None:
        """A new AMI server on the same port (the old one must be closed)."""
        self.ami_server = AmiServer(
            self.pbx, {AMI_USER: shipped_user(AMI_USER, AMI_SECRET)}, self.clock
        )
        await self.ami_server.start("127.0.0.1", self.ami_port)


def rig_start(config: HotlineConfig) -> float:
    """10:00 local time on Friday 2026-11-20 in the hotline's time zone (see AT_10)."""
    return AT_10.replace(tzinfo=ZoneInfo(config.timezone)).timestamp()


class RigFactory(Protocol):
    async def __call__(
        self,
        *,
        hotline: HotlineConfig | None = ...,
        present: Collection[str] = ...,
        operators: Mapping[str, SimOperator] | None = ...,
        duty: SimOperator | None = ...,
        speed: float = ...,
        start: float | None = ...,
        iin_key: bytes | None = ...,
        dialplan: Path = ...,
        classic: bool = ...,
        agi_dir: Path | None = ...,
    ) -> Rig: ...


@pytest.fixture
async def make_rig(redis_url: str, tmp_path: Path) -> AsyncIterator[RigFactory]:
    closers: list[Callable[[], Awaitable[None]]] = []

    async def factory(
        *,
        hotline: HotlineConfig | None = None,
        present: Collection[str] = (),
        operators: Mapping[str, SimOperator] | None = None,
        duty: SimOperator | None = None,
        speed: float = SPEED,
        start: float | None = None,
        iin_key: bytes | None = None,
        dialplan: Path = DIALPLAN,
        classic: bool = False,
        agi_dir: Path | None = None,
    ) -> Rig:
        """`present`: the operators who log in (their shift permitting). `operators`: the
        softphones by operator id (default: each present operator answers after 1 s and
        talks 10 s). `duty`: the fallback group's phone (default: answers, talks 5 s).
        `start`: the clock's start, epoch seconds (default: `rig_start`).
        `iin_key`: the controller's IIN key (None: IIN look-ups answer "error").
        `classic`: the menu runs in the classic AGI script agi_scripts/hotline_ivr.py
        (HOTLINE_IVR=hotline-ivr-classic), given the rig's Redis, database and key;
        `agi_dir`: where the simulator looks for it (default: the repo's agi_scripts/)."""
        config = hotline or hotline_400_100()
        clock = ScaledClock(speed, start=rig_start(config) if start is None else start)
        database_url = f"sqlite:///{tmp_path / 'hotline.db'}"
        pbx_globals = {"HOTLINE_FALLBACK_DIAL": DUTY_DIAL}
        agi_env: dict[str, str] = {}
        if classic:
            pbx_globals["HOTLINE_IVR"] = "hotline-ivr-classic"
            agi_env = {
                "HOTLINE_REDIS_URL": redis_url,
                "HOTLINE_DATABASE_URL": database_url,
            }  # the simulator gives the script its clock's time of day (HOTLINE_TIME_OFFSET_S)
            if iin_key is not None:
                agi_env["HOTLINE_IIN_KEY"] = iin_key.hex()
        pbx = SimPBX(
            clock,
            dialplan,
            pbx_globals,
            FixedSounds(1.0),
            random.Random(11),
            agi_env=agi_env,
            agi_dir=agi_dir,
        )
        closers.append(pbx.close)
        softphones = dict(operators or {})
        for op_id in present:
            softphones.setdefault(op_id, SimOperator(ring_s=1.0, talk_s=talks(10.0)))
        for op_id, softphone in softphones.items():
            pbx.add_operator(config.operator(op_id).dial, softphone)
        pbx.add_operator(DUTY_DIAL, duty or SimOperator(ring_s=1.0, talk_s=talks(5.0)))
        events = PbxEvents()
        closers.append(_as_closer(pbx.subscribe(events)))

        ami_server = AmiServer(pbx, {AMI_USER: shipped_user(AMI_USER, AMI_SECRET)}, clock)
        ami_port = await ami_server.start("127.0.0.1", 0)
        settings = ControllerSettings(
            redis_url=redis_url,
            database_url=database_url,
            data_dir=tmp_path,
            ami=AmiSettings(port=ami_port, username=AMI_USER, secret=AMI_SECRET),
            agi_port=0,
            metrics_port=0,
            iin_key=iin_key,
        )
        controller = Controller(settings, {config.id: config}, clock, {config.id: set(present)})
        rig = Rig(
            clock,
            config,
            pbx,
            ami_server,
            ami_port,
            controller,
            events,
            present=frozenset(present),
            closers=closers,
        )

        async def close_ami_server() -> None:
            await rig.ami_server.close()  # the current one: a test may have replaced it

        closers.append(close_ami_server)
        closers.append(controller.stop)
        agi_port = await controller.start_listeners()
        pbx.setvar(None, "HOTLINE_AGI", f"agi://127.0.0.1:{agi_port}")
        await controller.connect()
        return rig

    yield factory
    for close in reversed(closers):
        await close()


def _as_closer(unsubscribe: Callable[[], None]) -> Callable[[], Awaitable[None]]:
    async def close() -> None:
        unsubscribe()

    return close


ALMATY = ZoneInfo("Asia/Almaty")
# 10:00 on a Friday in Almaty: inside every shipped hotline's opening hours.
AT_10 = datetime(2026, 11, 20, 10, 0, tzinfo=ALMATY)


def streamed(rig: Rig, channel: str) -> list[str]:
    """The sound files the controller played or asked with, in order."""
    return [
        e["Command"].split()[2]
        for e in rig.events.matching("AGIExecStart", Channel=channel)
        if e["Command"].startswith(("STREAM FILE", "GET DATA"))
    ]

"""The composition root: builds every part of the controller once and wires them together.

Nothing else in hotline creates a connection; everything else receives what it uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import redis.asyncio as redis
from prometheus_client import CollectorRegistry

from hotline.agi.server import FastAgiServer
from hotline.ami.client import AmiClient
from hotline.clock import Clock
from hotline.config import HotlineConfig
from hotline.controller.agi_handlers import IvrScripts
from hotline.controller.announcer import WaitAnnouncer
from hotline.controller.confirm import OperatorConfirm, confirm_callback
from hotline.controller.devices import DeviceWatch
from hotline.controller.dispatcher import Dispatcher
from hotline.controller.operator_codes import OperatorCodes
from hotline.controller.overflow import OverflowRules
from hotline.controller.ownership import LEASE_RENEW_S, LEASE_TTL_S, LeaseKeeper
from hotline.controller.rebuild import RedisRebuild
from hotline.controller.refused_env import RefusedEnvRecorder
from hotline.controller.reload import ReloadReport
from hotline.controller.shifts import ShiftKeeper
from hotline.controller.tracker import CallTracker, TrackedCall
from hotline.controller.wakeups import WakeListener
from hotline.ivr.iin import IinHasher
from hotline.metrics import HotlineMetrics, MetricsServer, serve_metrics
from hotline.operators.pauses import long_pauses
from hotline.queue import Acd
from hotline.queue.callbacks import move_legacy_requests
from hotline.queue.inventory import CallInventory
from hotline.queue.leases import Leases
from hotline.records import CallRecord, RecordStore
from hotline.redact import url_without_password
from hotline.selfservice import SelfService
from hotline.staffing import shift_staffing
from hotline.tasks import stop_task
from hotline.web.http_server import HttpServer
from hotline.web.operator_api import operator_api

log = logging.getLogger(__name__)

# How often the gauges (waiting calls, operators by state) are refreshed, in seconds.
GAUGE_PERIOD_S = 5.0


@dataclass(frozen=True)
class AmiSettings:
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "hotline"
    secret: str = field(default="", repr=False)


@dataclass(frozen=True)
class ControllerSettings:
    """Where the controller listens and what it connects to. Secrets stay out of repr: the
    AMI secret, the API token and the IIN key are not shown, the URLs without password."""

    redis_url: str
    database_url: str
    data_dir: Path
    ami: AmiSettings = AmiSettings()
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9573
    # The HTTP API (operators' state; `hotline.web.operator_api`); None: not served.
    http_host: str = "127.0.0.1"
    http_port: int | None = None
    # The supervisors' bearer token for the HTTP API; None: operators' own PINs only.
    api_token: str | None = field(default=None, repr=False)
    # The key of the IIN hashes in the recipients lists (`hotline.ivr.iin.load_iin_key`);
    # None: IIN look-ups answer "error" (the menu says it cannot check now).
    iin_key: bytes | None = field(default=None, repr=False)
    # The controller's lease in Redis (`hotline.controller.ownership`), clock seconds: how
    # long another controller waits before taking over the calls of one that died.
    lease_ttl_s: float = LEASE_TTL_S
    lease_renew_s: float = LEASE_RENEW_S

    def __repr__(self) -> str:
        shown = []
        for setting in dataclasses.fields(self):
            if not setting.repr:
                continue
            value = getattr(self, setting.name)
            if setting.name in _URL_SETTINGS:
                value = url_without_password(value)
            shown.append(f"{setting.name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"


# The settings that are connection URLs, which may carry a password.
_URL_SETTINGS = frozenset({"redis_url", "database_url"})


class Controller:
    """FastAGI server, AMI client, dispatcher, shift keepers, records and metrics."""

    def __init__(
        self,
        settings: ControllerSettings,
        hotlines: Mapping[str, HotlineConfig],
        clock: Clock,
        present_operators: Mapping[str, set[str]] | None = None,
    ) -> None:
        self.settings = settings
        self.hotlines = dict(hotlines)
        self.clock = clock
        # Owner of the calls it follows; its lease says it is alive (several controllers
        # may share one Redis: `hotline.controller.ownership`).
        self.id = uuid.uuid4().hex
        log.info("controller %s", self.id)
        self.registry = CollectorRegistry()
        self.metrics = HotlineMetrics(self.registry)
        self.redis: redis.Redis = redis.Redis.from_url(settings.redis_url)
        self.acds = {hid: Acd(self.redis, hid) for hid in self.hotlines}
        self.store = RecordStore(settings.database_url, settings.data_dir / "spool")
        self.tracker = CallTracker(
            clock, self._write_record, lambda call: self.metrics.offered(call.hotline_id)
        )
        self.ami = AmiClient(
            settings.ami.host,
            settings.ami.port,
            settings.ami.username,
            settings.ami.secret,
            clock,
        )
        self.dispatcher = Dispatcher(
            self.hotlines,
            self.acds,
            self.ami,
            self.tracker,
            clock,
            inventories={hid: CallInventory(self.redis, hid) for hid in self.hotlines},
            attempt_sink=self.store.write_attempt,
            controller_id=self.id,
        )
        self.lease = LeaseKeeper(
            Leases(self.redis, self.hotlines),
            self.id,
            clock,
            self.dispatcher.take_over,
            ttl_s=settings.lease_ttl_s,
            renew_s=settings.lease_renew_s,
        )
        hasher = IinHasher(settings.iin_key) if settings.iin_key is not None else None
        self.scripts = IvrScripts(
            self.hotlines,
            self.acds,
            self.tracker,
            clock,
            self.dispatcher.wake,
            SelfService(self.store.engine, hasher),
            announcer=WaitAnnouncer(self.redis, self.acds, clock),
            overflow=OverflowRules(
                self.redis, self.acds, self.tracker, clock, self.dispatcher.wake, self.metrics
            ),
            controller_id=self.id,
            adopt=self.dispatcher.adopt,
            recover=self._recover,
        )
        self.agi = FastAgiServer(
            {
                "ivr": self.scripts.ivr,
                "ivr-result": self.scripts.ivr_result,
                "hold": self.scripts.hold,
                "operator": OperatorCodes(self.hotlines, self.acds, clock, self.dispatcher.wake),
                "confirm": OperatorConfirm(self.tracker, self.dispatcher),
                "callback-confirm": confirm_callback,
            },
            clock,
            on_refused=RefusedEnvRecorder(self.hotlines, self.acds, self.tracker, clock),
        )
        self.http: HttpServer | None = None
        if settings.http_port is not None:
            api = operator_api(
                self.hotlines, self.acds, clock, self.dispatcher.wake, settings.api_token
            )
            self.http = HttpServer(api)
        self.http_port: int | None = None
        self.devices = DeviceWatch(self.hotlines, self.acds, clock, self.dispatcher.wake)
        present = present_operators or {}
        self.shift_keepers = [
            ShiftKeeper(h, self.acds[hid], clock, self.dispatcher.wake, present.get(hid))
            for hid, h in self.hotlines.items()
        ]
        self.rebuild = RedisRebuild(
            self.redis,
            self.hotlines,
            self.acds,
            self.tracker,
            self.ami,
            self.shift_keepers,
            self.id,
            clock.now,
            self.dispatcher.wake,
        )
        self.agi_port: int | None = None
        self._gauges_task: asyncio.Task[None] | None = None
        self._wake_task: asyncio.Task[None] | None = None
        self.wakeups = WakeListener(
            self.redis,
            [acd.keys.wake_channel for acd in self.acds.values()],
            self.dispatcher.wake,
            clock,
        )
        self._pauses_reported: set[tuple[str, str, float]] = set()
        self.metrics_server: MetricsServer | None = None
        self.call_ids: set[str] = set()

    async def reload(
        self, configs: Mapping[str, HotlineConfig], failed: Mapping[str, str] | None = None
    ) -> ReloadReport:
        """Take new configurations for new calls (see `hotline.controller.reload`).

        `self.hotlines` is the mapping the FastAGI handlers and the dispatcher read, so a
        swap there reaches every new call at once; a call in the menu holds its own
        configuration. The shift keepers re-apply at once: an operator dropped from the
        file is logged out (after the current call) and changed queues take effect."""
        report = ReloadReport(failed=dict(failed or {}))
        for hotline_id, config in sorted(configs.items()):
            if hotline_id not in self.hotlines:
                report.failed[hotline_id] = (
                    f"hotline {hotline_id} is not served by this controller; "
                    "adding a hotline needs a restart"
                )
                continue
            if config == self.hotlines[hotline_id]:
                report.unchanged.append(hotline_id)
                continue
            self.hotlines[hotline_id] = config
            for keeper in self.shift_keepers:
                if keeper.hotline_id == hotline_id:
                    await keeper.replace(config)
            report.reloaded.append(hotline_id)
        if report.reloaded:
            self.dispatcher.wake()
        return report

    async def _recover(self, call: TrackedCall) -> bool:
        """A hold visit of a tracked call the ACD does not know (`RedisRebuild.recover`)."""
        return await self.rebuild.recover(call)

    async def _write_record(self, record: CallRecord) -> None:
        await self.store.write(record)
        self.metrics.observe_record(record)
        self.call_ids.add(record.call_id)

    async def start_listeners(self) -> int:
        """Migrate the database, take the lease, start the FastAGI and metrics listeners;
        the FastAGI port. The lease comes first: a call enqueued here names this controller
        its owner, and an owner without a lease is taken for dead."""
        await asyncio.to_thread(self.store.migrate)
        await self.lease.renew()
        self.lease.start()
        await self.rebuild.mark()
        self.agi_port = await self.agi.start(self.settings.agi_host, self.settings.agi_port)
        self.metrics_server = serve_metrics(
            self.registry, self.settings.metrics_host, self.settings.metrics_port
        )
        log.info("FastAGI on %s:%d", self.settings.agi_host, self.agi_port)
        if self.http is not None and self.settings.http_port is not None:
            self.http_port = await self.http.start(self.settings.http_host, self.settings.http_port)
            log.info("HTTP API on %s:%d", self.settings.http_host, self.http_port)
        return self.agi_port

    async def connect(self) -> None:
        """Connect to AMI and start distributing calls. The dispatcher first takes over the
        callers an earlier controller left waiting (`Dispatcher.resync`); it hands out no
        call before that has succeeded."""
        self.ami.on_event("DeviceStateChange", self.devices.on_device_state)
        await self.ami.connect()
        for acd in self.acds.values():
            await move_legacy_requests(self.redis, acd)
        self.dispatcher.start()
        for keeper in self.shift_keepers:
            await keeper.apply()
            keeper.start()
        self._gauges_task = asyncio.create_task(self._publish_gauges(), name="gauges")
        self._wake_task = asyncio.create_task(self.wakeups.run(), name="wake-ups")

    async def _publish_gauges(self) -> None:
        """Keep the waiting-calls and operator-state gauges current for /metrics."""
        while True:
            try:
                # Redis lost its data (restarted without its append-only file, flushed):
                # put back the operators and the waiting callers (`hotline.controller.rebuild`).
                await self.rebuild.check()
            except (OSError, ConnectionError, redis.RedisError) as exc:
                log.warning("Redis not checked for a data loss: %s", exc)
            except Exception:
                log.exception("rebuilding the ACD after a Redis loss failed")
            for hotline_id, acd in self.acds.items():
                try:
                    self.metrics.set_waiting(hotline_id, await acd.waiting_count())
                    states = await acd.operator_states()
                    self.metrics.set_operator_states(hotline_id, states)
                    self.metrics.set_staffing(
                        hotline_id,
                        shift_staffing(self.hotlines[hotline_id], self.clock.now(), states),
                    )
                    await self._watch_pauses(hotline_id, acd)
                    await self._store_dispositions(hotline_id, acd)
                except (OSError, ConnectionError, redis.RedisError) as exc:
                    log.warning("gauges for %s not updated: %s", hotline_id, exc)
            await self.clock.sleep(GAUGE_PERIOD_S)

    async def _store_dispositions(self, hotline_id: str, acd: Acd) -> None:
        """Move the wrap-ups' dispositions from Redis to SQL; they leave Redis only once
        stored, so a database outage delays them and loses none."""
        dispositions, entries = await acd.dispositions()
        if entries and await self.store.write_dispositions(hotline_id, dispositions):
            await acd.forget_dispositions(entries)

    async def _watch_pauses(self, hotline_id: str, acd: Acd) -> None:
        """Tell the supervisor about pauses past their limit: the gauge, and one warning
        per pause."""
        reasons = self.hotlines[hotline_id].routing.pause_reasons
        over = long_pauses(await acd.pauses(), reasons, self.clock.now())
        self.metrics.set_long_pauses(hotline_id, len(over))
        for pause in over:
            key = (hotline_id, pause.operator_id, pause.paused_at)
            if key not in self._pauses_reported:
                self._pauses_reported.add(key)
                log.warning(
                    "%s: operator %s has been paused (%s) %.0f s past its limit",
                    hotline_id,
                    pause.operator_id,
                    pause.reason,
                    pause.over_s,
                )

    async def stop(self) -> None:
        await self.lease.stop()
        await stop_task(self._wake_task)
        await stop_task(self._gauges_task)
        for keeper in self.shift_keepers:
            await keeper.stop()
        await self.dispatcher.stop()
        await self.agi.close()
        if self.http is not None:
            await self.http.close()
        await self.ami.close()
        if self.metrics_server is not None:
            self.metrics_server.close()
        # Last: the other controllers take over this one's calls from now on.
        with contextlib.suppress(OSError, ConnectionError, redis.RedisError):
            await self.rebuild.unmark()
        await self.lease.release()
        await self.redis.aclose()
        self.store.close()

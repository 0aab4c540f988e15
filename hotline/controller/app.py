"""The composition root: builds every part of the controller once and wires them together.

Nothing else in hotline creates a connection; everything else receives what it uses.
"""

from __future__ import annotations

import asyncio
import logging
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
from hotline.controller.dispatcher import Dispatcher
from hotline.controller.reload import ReloadReport
from hotline.controller.shifts import ShiftKeeper
from hotline.controller.tracker import CallTracker
from hotline.ivr.iin import IinHasher
from hotline.metrics import HotlineMetrics, MetricsServer, serve_metrics
from hotline.queue import Acd
from hotline.queue.callbacks import Callbacks
from hotline.records import CallRecord, RecordStore
from hotline.selfservice import SelfService
from hotline.tasks import stop_task

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
    """Where the controller listens and what it connects to. Secrets stay out of repr."""

    redis_url: str
    database_url: str
    data_dir: Path
    ami: AmiSettings = AmiSettings()
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9573
    # The key of the IIN hashes in the recipients lists (`hotline.ivr.iin.load_iin_key`);
    # None: IIN look-ups answer "error" (the menu says it cannot check now).
    iin_key: bytes | None = field(default=None, repr=False)


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
        self.dispatcher = Dispatcher(self.hotlines, self.acds, self.ami, self.tracker, clock)
        self.callbacks = {hid: Callbacks(self.redis, hid) for hid in self.hotlines}
        hasher = IinHasher(settings.iin_key) if settings.iin_key is not None else None
        self.scripts = IvrScripts(
            self.hotlines,
            self.acds,
            self.tracker,
            clock,
            self.dispatcher.wake,
            self.callbacks,
            SelfService(self.store.engine, hasher),
        )
        self.agi = FastAgiServer(
            {
                "ivr": self.scripts.ivr,
                "ivr-result": self.scripts.ivr_result,
                "hold": self.scripts.hold,
            },
            clock,
        )
        present = present_operators or {}
        self.shift_keepers = [
            ShiftKeeper(h, self.acds[hid], clock, self.dispatcher.wake, present.get(hid))
            for hid, h in self.hotlines.items()
        ]
        self.agi_port: int | None = None
        self._gauges_task: asyncio.Task[None] | None = None
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

    async def _write_record(self, record: CallRecord) -> None:
        await self.store.write(record)
        self.metrics.observe_record(record)
        self.call_ids.add(record.call_id)

    async def start_listeners(self) -> int:
        """Migrate the database, start the FastAGI and metrics listeners; the FastAGI port."""
        await asyncio.to_thread(self.store.migrate)
        self.agi_port = await self.agi.start(self.settings.agi_host, self.settings.agi_port)
        self.metrics_server = serve_metrics(
            self.registry, self.settings.metrics_host, self.settings.metrics_port
        )
        log.info("FastAGI on %s:%d", self.settings.agi_host, self.agi_port)
        return self.agi_port

    async def connect(self) -> None:
        """Connect to AMI and start distributing calls."""
        await self.ami.connect()
        self.dispatcher.start()
        for keeper in self.shift_keepers:
            await keeper.apply()
            keeper.start()
        self._gauges_task = asyncio.create_task(self._publish_gauges(), name="gauges")

    async def _publish_gauges(self) -> None:
        """Keep the waiting-calls and operator-state gauges current for /metrics."""
        while True:
            for hotline_id, acd in self.acds.items():
                try:
                    self.metrics.set_waiting(hotline_id, await acd.waiting_count())
                    self.metrics.set_operator_states(hotline_id, await acd.operator_states())
                except (OSError, ConnectionError, redis.RedisError) as exc:
                    log.warning("gauges for %s not updated: %s", hotline_id, exc)
            await self.clock.sleep(GAUGE_PERIOD_S)

    async def stop(self) -> None:
        await stop_task(self._gauges_task)
        for keeper in self.shift_keepers:
            await keeper.stop()
        await self.dispatcher.stop()
        await self.agi.close()
        await self.ami.close()
        if self.metrics_server is not None:
            self.metrics_server.close()
        await self.redis.aclose()
        self.store.close()

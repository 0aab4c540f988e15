"""Keeps the ACD's logged-in operators in step with the shift plan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from hotline.clock import Clock
from hotline.config import HotlineConfig
from hotline.operators.control import login_arguments
from hotline.queue import Acd
from hotline.shifts import next_change_s, on_shift
from hotline.tasks import stop_task

log = logging.getLogger(__name__)


class ShiftKeeper:
    """Logs operators in when their shift starts and out when it ends.

    `present` limits who actually shows up (the simulator staffs fewer operators than the
    plan); None means everyone on the plan.
    """

    def __init__(
        self,
        hotline: HotlineConfig,
        acd: Acd,
        clock: Clock,
        on_change: Callable[[], None],
        present: set[str] | None = None,
    ) -> None:
        self._hotline = hotline
        self._acd = acd
        self._clock = clock
        self._on_change = on_change
        self._present = present
        self._logged_in: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    @property
    def hotline_id(self) -> str:
        return self._hotline.id

    @property
    def logged_in(self) -> frozenset[str]:
        return frozenset(self._logged_in)

    async def replace(self, hotline: HotlineConfig) -> None:
        """A reloaded configuration: shifts and operators as the new file says, now.

        Operators who stay logged in but serve other queues are logged in again with the
        new queues (the ACD keeps their idle time; a call in progress is not touched)."""
        old = self._hotline
        self._hotline = hotline
        for op_id in sorted(self._logged_in):
            if not hotline.has_operator(op_id):
                continue  # apply() logs them out: no longer in the file
            before = login_arguments(old, op_id)
            after = login_arguments(hotline, op_id)
            if before != after:
                await self._acd.operator_login(op_id, after[0], self._clock.now(), after[1])
                log.info("%s: operator %s now serves %s", hotline.id, op_id, after[0])
        await self.apply()
        # The sleeping loop computed its wake-up from the old shifts: start it again.
        if self._task is not None:
            await self.stop()
            self.start()

    async def apply(self) -> None:
        """Make the logged-in set match the shifts on now."""
        now = self._clock.now()
        due = {op.id for op in on_shift(self._hotline, now)}
        if self._present is not None:
            due &= self._present
        for op_id in sorted(due - self._logged_in):
            queue_ids, levels = login_arguments(self._hotline, op_id)
            await self._acd.operator_login(op_id, queue_ids, now, levels)
            log.info("%s: operator %s logged in for %s", self._hotline.id, op_id, queue_ids)
        for op_id in sorted(self._logged_in - due):
            await self._acd.operator_logout(op_id)
            log.info("%s: operator %s logged out (shift over)", self._hotline.id, op_id)
        changed = due != self._logged_in
        self._logged_in = due
        if changed:
            self._on_change()

    async def forget_and_apply(self) -> None:
        """Redis lost its data (`hotline.controller.rebuild`): nobody is logged in there any
        more; log in again everyone on shift now."""
        self._logged_in = set()
        await self.apply()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"shifts-{self._hotline.id}")

    async def stop(self) -> None:
        await stop_task(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            await self.apply()
            now = self._clock.now()
            await self._clock.sleep(max(1.0, next_change_s(self._hotline, now) - now))

"""Operator state changes with the hotline's rules applied: the one place that turns a
configuration into the ACD's arguments (queues, skill levels, pause reasons, wrap-up).

Every surface (CLI, feature codes on the phone, the shift keeper) goes through here, so an
operator logged in from the phone serves exactly the queues the shift keeper would give them.
"""

from __future__ import annotations

from collections.abc import Mapping

from hotline.clock import Clock
from hotline.config import HotlineConfig
from hotline.config.overflow import bilingual_queue
from hotline.errors import HotlineError
from hotline.queue import Acd
from hotline.shifts import on_shift


class OperatorError(HotlineError):
    """A request the rules refuse (unknown operator, off shift, unknown reason)."""


def login_arguments(hotline: HotlineConfig, op_id: str) -> tuple[list[str], dict[str, int]]:
    """The queues an operator serves (topic and language both theirs; for a `bilingual`
    operator also the cross-language queue of each of their topics) and their skill level
    per topic, as `Acd.operator_login` takes them."""
    operator = hotline.operator(op_id)
    queue_ids = [q.id for q in hotline.queues_for(operator)]
    if operator.bilingual:
        queue_ids += [bilingual_queue(topic) for topic in operator.topics]
    return queue_ids, dict(operator.levels)


class OperatorControl:
    """Log in, log out, pause and ready for one hotline's operators."""

    def __init__(self, hotline: HotlineConfig, acd: Acd, clock: Clock) -> None:
        self._hotline = hotline
        self._acd = acd
        self._clock = clock

    def _known(self, op_id: str) -> None:
        if not self._hotline.has_operator(op_id):
            known = ", ".join(op.id for op in self._hotline.operators)
            raise OperatorError(f"hotline {self._hotline.id} has no operator {op_id!r} ({known})")

    async def login(self, op_id: str) -> str:
        """Available for calls; refused off shift: only a shift on now gets calls."""
        self._known(op_id)
        now = self._clock.now()
        if op_id not in {op.id for op in on_shift(self._hotline, now)}:
            raise OperatorError(
                f"operator {op_id} is not on a shift of hotline {self._hotline.id} now"
            )
        queue_ids, levels = login_arguments(self._hotline, op_id)
        state = await self._acd.operator_login(op_id, queue_ids, now, levels)
        await self._acd.notify_change()
        return state

    async def logout(self, op_id: str) -> str:
        """Offline now, or after the call in progress."""
        self._known(op_id)
        return await self._acd.operator_logout(op_id) or "offline"

    async def pause(self, op_id: str, reason: str) -> str:
        self._known(op_id)
        reasons = self._hotline.routing.pause_reasons
        if reason not in reasons:
            raise OperatorError(f"unknown pause reason {reason!r} (allowed: {sorted(reasons)})")
        return await self._acd.operator_pause(op_id, reason, self._clock.now(), reasons)

    async def ready(self, op_id: str, disposition: str | None = None) -> str:
        self._known(op_id)
        routing = self._hotline.routing
        state = await self._acd.operator_ready(
            op_id, self._clock.now(), disposition, routing.dispositions
        )
        await self._acd.notify_change()
        return state

    async def status(self) -> Mapping[str, str]:
        """Every operator of the hotline with their ACD state (never logged in: offline)."""
        states = await self._acd.operator_states()
        return {op.id: states.get(op.id, "offline") for op in self._hotline.operators}

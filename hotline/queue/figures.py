"""A waiting caller's place and the staffing of their queue, read once per visit.

A hold visit (and the enqueue) looks at the same two figures twice: the overflow rules
(`hotline.controller.overflow`) and the wait announcement (`hotline.controller.announcer`).
One `QueueFigures` per visit reads them the first time either asks and hands the same
figures to the other. Read again only for another queue (an overflow rule moved the caller):
those are other figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline.queue.acd import Acd
from hotline.queue.stats import QueueStaffing, queue_staffing


@dataclass(frozen=True)
class QueueSituationNow:
    """A call's place in its queue (None: no longer waiting) and who serves the queue."""

    queue_id: str
    position: int | None
    staffing: QueueStaffing


class QueueFigures:
    """The figures of one call for one visit (see the module docstring)."""

    def __init__(self, acd: Acd, call_id: str) -> None:
        self._acd = acd
        self._call_id = call_id
        self._read: QueueSituationNow | None = None

    async def of(self, queue_id: str) -> QueueSituationNow:
        """The figures for the call in `queue_id`, read once."""
        if self._read is None or self._read.queue_id != queue_id:
            # Staffing first: an operator taken by this very call between the two reads
            # then shows as the call no longer waiting, not as one operator fewer available.
            staffing = await queue_staffing(self._acd.redis, self._acd.keys, queue_id)
            position = await self._acd.position(self._call_id)
            self._read = QueueSituationNow(queue_id, position, staffing)
        return self._read

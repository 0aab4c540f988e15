"""Operators whose softphone is not registered get no calls.

Asterisk publishes a PJSIP endpoint's device state as AMI `DeviceStateChange` (`Device:
PJSIP/op400-01`, `State: UNAVAILABLE` once no contact is registered or reachable). For an
operator whose `dial` is that endpoint, UNAVAILABLE (or INVALID) pauses them in the ACD with
the reserved reason `unregistered` (pending if they are on a call); any other state ends that
pause, and only that one: a pause the operator chose stays. Remote operators on a mobile
through the trunk have no device state: their voicemail is handled by "press 1"
(`hotline.controller.confirm`). After a controller restart the current states are not
listed; a phone that is still unregistered then fails its first ring (CHANUNAVAIL), which
counts as a miss and, repeated, pauses the operator (`routing.auto_pause_after`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from hotline.ami.protocol import AmiMessage
from hotline.clock import Clock
from hotline.config import HotlineConfig
from hotline.errors import HotlineError
from hotline.queue import Acd

log = logging.getLogger(__name__)

#: The ACD pause reason of an operator whose phone is not registered (reserved: a hotline's
#: `routing.pause_reasons` cannot use it).
UNREGISTERED_PAUSE = "unregistered"
_GONE_STATES = frozenset({"UNAVAILABLE", "INVALID"})


class DeviceWatch:
    """Follows DeviceStateChange events and pauses or resumes the operators concerned."""

    def __init__(
        self,
        hotlines: Mapping[str, HotlineConfig],
        acds: Mapping[str, Acd],
        clock: Clock,
        on_change: Callable[[], None],
    ) -> None:
        self._hotlines = hotlines
        self._acds = acds
        self._clock = clock
        self._on_change = on_change

    async def on_device_state(self, message: AmiMessage) -> None:
        device = message.get("Device") or ""
        state = (message.get("State") or "").upper()
        for hotline in self._hotlines.values():
            for operator in hotline.operators:
                if operator.dial != device:
                    continue
                try:
                    await self._apply(hotline.id, operator.id, state in _GONE_STATES)
                except HotlineError as exc:
                    log.info("operator %s (%s): device %s: %s", operator.id, hotline.id, state, exc)
                except Exception:
                    log.exception("operator %s: device state %s not applied", operator.id, state)

    async def _apply(self, hotline_id: str, op_id: str, gone: bool) -> None:
        acd = self._acds[hotline_id]
        fields = await acd.operator(op_id)
        if fields is None or fields.get("state") == "offline":
            return  # not logged in: nothing to keep from them
        now = self._clock.now()
        if gone and fields.get("state") == "paused":
            return  # paused already (for their own reason, which must survive this)
        if gone:
            state = await acd.operator_pause(op_id, UNREGISTERED_PAUSE, now, (UNREGISTERED_PAUSE,))
            log.warning("operator %s (%s): phone not registered: %s", op_id, hotline_id, state)
            return
        paused_for = fields.get("pause_reason") or fields.get("pause_pending") or ""
        if paused_for == UNREGISTERED_PAUSE:
            state = await acd.operator_ready(op_id, now)
            log.info("operator %s (%s): phone registered again: %s", op_id, hotline_id, state)
            self._on_change()

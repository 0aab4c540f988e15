"""A record for a call whose FastAGI env block was refused (a caller ID with line feeds,
`hotline.agi.env`): the FastAGI server sends the caller to the fallback, this writes the
call as `failed`, so that a hijack attempt is neither silent nor counted as anything else.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from hotline.agi.env import EnvPrefix
from hotline.clock import Clock
from hotline.config import HotlineConfig
from hotline.controller.tracker import CallTracker
from hotline.queue import Acd
from hotline.records import Outcome

log = logging.getLogger(__name__)

#: The scripts that begin a caller's call: a refused one is the call's only trace.
_CALL_SCRIPTS = frozenset({"ivr", "ivr-result"})


class RefusedEnvRecorder:
    """`FastAgiServer(on_refused=...)`: records the refused call as failed."""

    def __init__(
        self,
        hotlines: Mapping[str, HotlineConfig],
        acds: Mapping[str, Acd],
        tracker: CallTracker,
        clock: Clock,
    ) -> None:
        self._hotlines = hotlines
        self._acds = acds
        self._tracker = tracker
        self._clock = clock

    async def __call__(self, prefix: EnvPrefix, claimed_args: tuple[str, ...]) -> None:
        if not prefix.uniqueid:
            log.warning("refused env block without a Uniqueid: no record")
            return
        known = self._tracker.by_uniqueid(prefix.uniqueid)
        if known is not None:
            # A hold visit of a waiting caller: out of the queue (the dispatcher would
            # Redirect the caller out of the duty group's call), then the record.
            if known.enqueued_at is not None:
                known.enqueued_at = None
                try:
                    await self._acds[known.hotline_id].cancel(known.call_id, self._clock.now())
                except Exception as exc:
                    log.warning("call %s: could not withdraw it: %s", known.call_id, exc)
            await self._tracker.finish(known, Outcome.FAILED)
            return
        if prefix.network_script not in _CALL_SCRIPTS:
            return
        hotline = self._hotline(claimed_args)
        if hotline is None:
            log.warning("refused env block on %s: no hotline known, no record", prefix.channel)
            return
        # The caller's number is not kept: it is the text that was refused.
        call = self._tracker.start(hotline.id, prefix.uniqueid, prefix.channel, "")
        await self._tracker.finish(call, Outcome.FAILED)

    def _hotline(self, claimed_args: tuple[str, ...]) -> HotlineConfig | None:
        """The only hotline served, else the one the block claims (a forged claim can only
        move a failed record to another of our hotlines)."""
        if len(self._hotlines) == 1:
            return next(iter(self._hotlines.values()))
        return self._hotlines.get(claimed_args[0]) if claimed_args else None

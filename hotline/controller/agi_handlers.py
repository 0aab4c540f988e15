"""The FastAGI scripts of the dialplan contract, wired together: `ivr` and `ivr-result`
(the menu session, `hotline.controller.menu_session`) and `hold` (a visit between two
stretches of hold music, `hotline.controller.hold_visit`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from hotline.agi.session import AgiSession
from hotline.clock import Clock
from hotline.config import HotlineConfig
from hotline.controller.announcer import WaitAnnouncer
from hotline.controller.hold_visit import Adopter, HoldVisit, Recoverer, WaitingCallback
from hotline.controller.menu_session import MenuScripts
from hotline.controller.overflow import OverflowRules
from hotline.controller.tracker import CallTracker
from hotline.queue import Acd
from hotline.selfservice import SelfService

__all__ = ["Adopter", "IvrScripts", "Recoverer"]


class IvrScripts:
    """The `ivr`, `ivr-result` and `hold` FastAGI handlers for a set of hotlines."""

    def __init__(
        self,
        hotlines: Mapping[str, HotlineConfig],
        acds: Mapping[str, Acd],
        tracker: CallTracker,
        clock: Clock,
        on_enqueued: Callable[[], None],
        selfservice: SelfService | None = None,
        announcer: WaitAnnouncer | None = None,
        overflow: OverflowRules | None = None,
        *,
        controller_id: str = "",
        adopt: Adopter | None = None,
        recover: Recoverer | None = None,
    ) -> None:
        """`selfservice` None: every look-up answers "error" (the menu says it cannot check
        now and goes on). `announcer` None: waiting callers hear no position or wait.
        `overflow` None: the queues' overflow rules are not applied. `controller_id`: the
        owner recorded with each call enqueued here ('': none). `adopt`: how a hold visit
        takes over a call this controller does not track (None: it adopts it directly,
        whoever owns it). `recover`: how a hold visit puts back a tracked call the ACD lost
        (None: such a caller goes to the duty group)."""
        register_callback = WaitingCallback(acds, tracker, clock, on_enqueued)
        self.menu = MenuScripts(
            hotlines,
            acds,
            tracker,
            clock,
            on_enqueued,
            register_callback,
            selfservice,
            announcer,
            overflow,
            controller_id=controller_id,
        )
        self.holds = HoldVisit(
            hotlines,
            acds,
            tracker,
            register_callback,
            announcer,
            overflow,
            adopt=adopt,
            recover=recover,
        )

    async def ivr(self, session: AgiSession) -> None:
        await self.menu.ivr(session)

    async def ivr_result(self, session: AgiSession) -> None:
        await self.menu.ivr_result(session)

    async def hold(self, session: AgiSession) -> None:
        await self.holds.hold(session)

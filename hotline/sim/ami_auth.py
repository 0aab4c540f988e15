"""The AMI actions a client may send before it has logged in: Login, Challenge, Logoff.

Login takes a plain Secret, or (after Challenge) an MD5 Key over challenge + secret, as
Asterisk 22's manager.c does. Replies follow hotline.sim.ami_actions' conventions.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from hotline.sim import ami_wire as wire
from hotline.sim.ami_actions import Handler, ack, error

if TYPE_CHECKING:
    from hotline.sim.ami_server import AmiSession


async def _login(session: AmiSession, request: wire.Request) -> bool:
    if session.authenticated:
        return ack(session, request, ("Message", "Already authenticated"))
    if not _credentials_ok(session, request):
        await session.server.clock.sleep(1.0)
        error(session, request, "Authentication failed")
        return False
    server = session.server
    session.authenticated = True
    session.username = request.header("Username")
    session.rights = server.user(session.username) or session.rights
    session.logged_in_at = server.clock.now()
    mask = wire.event_mask(request.header("Events"))
    if mask is not None:
        session.event_mask = mask
    ack(session, request, ("Message", "Authentication accepted"))
    # manager.c sends FullyBooted only to a user that reads `system` and wants it.
    system = wire.EVENT_FLAGS["system"]
    if session.rights.may_read(system) and wire.wants(session.event_mask, system):
        uptime = str(int(server.backend.uptime_s()))
        session.send(
            [
                ("Event", "FullyBooted"),
                ("Privilege", "system,all"),
                ("Uptime", uptime),
                ("LastReload", uptime),
                ("Status", "Fully Booted"),
            ]
        )
    session.report_login()
    return True


def _credentials_ok(session: AmiSession, request: wire.Request) -> bool:
    username = request.header("Username")
    user = session.server.user(username) if username else None
    # A user whose deny/permit list refuses the client's address fails as a wrong
    # secret does (manager.c's authenticate).
    if user is None or not user.permits(session.remote_host):
        return False
    secret = user.secret
    if request.header("AuthType").lower() == "md5":
        key = request.header("Key")
        if not key or not session.challenge:
            return False
        expected = hashlib.md5((session.challenge + secret).encode()).hexdigest()
        return key == expected
    return request.header("Secret") == secret


async def _challenge(session: AmiSession, request: wire.Request) -> bool:
    if request.header("AuthType").lower() != "md5":
        return error(session, request, "Must specify AuthType")
    if not session.challenge:
        # ast_random(): a non-negative C long, printed in decimal.
        session.challenge = str(session.server.rng.getrandbits(31))
    return ack(session, request, ("Challenge", session.challenge))


async def _logoff(session: AmiSession, request: wire.Request) -> bool:
    session.send(
        wire.response(
            "Goodbye", request.header("ActionID"), ("Message", "Thanks for all the fish.")
        )
    )
    return False


OPEN_ACTIONS = {"login", "logoff", "challenge"}
AUTH_HANDLERS: dict[str, Handler] = {
    "login": _login,
    "challenge": _challenge,
    "logoff": _logoff,
}

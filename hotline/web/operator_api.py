"""The HTTP API for operators' state: what the phone's feature codes and `hotline operator`
do, for softphone plug-ins and the supervisors' screens.

    GET  /api/hotlines/{hotline}/operators                       every operator's state
    POST /api/hotlines/{hotline}/operators/{operator}/{action}   login|logout|pause|ready
         JSON body (optional): {"reason": "lunch"} for pause, {"disposition": "..."} for ready

Who may: a supervisor with `Authorization: Bearer <HOTLINE_API_TOKEN>` (everything), or the
operator themself with `X-Operator-Pin: <their pin>` (their own state only). Without a
configured token only the PIN works, and the list is refused. Authentication comes first:
an unknown hotline, an unknown operator and a wrong PIN all get the same 401, so the API
does not tell which ids exist; only a supervisor gets 404 for them. Refused PINs are
counted per operator and per client address (`hotline.web.pin_guard`): past the budget the
answer is 429 with `Retry-After`, and each refusal is logged without the PIN.

Answers are JSON; an error is `{"error": "..."}` with 400 (bad request: not JSON, nested
too deeply), 401 (who are you), 404 (no such hotline, operator or action; supervisors
only), 409 (the rules refuse: off shift, disposition required), 413 (body too large), 429
(locked out) or 503 (Redis down).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Mapping
from typing import Any

import redis.asyncio as redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hotline.clock import Clock
from hotline.config import HotlineConfig
from hotline.operators import OperatorControl, OperatorError
from hotline.queue import Acd
from hotline.queue.errors import AcdConflictError, InvalidAcdRequestError
from hotline.web.pin_guard import PinGuard
from hotline.web.request_body import BodyError, read_json_object

log = logging.getLogger(__name__)

ACTIONS = ("login", "logout", "pause", "ready")
_WHO_ARE_YOU = "give the operator's X-Operator-Pin or a supervisor token"


class _RefusedError(Exception):
    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = dict(headers or {})


def operator_api(
    hotlines: Mapping[str, HotlineConfig],
    acds: Mapping[str, Acd],
    clock: Clock,
    on_change: Callable[[], None],
    token: str | None,
    guard: PinGuard | None = None,
) -> Starlette:
    """The ASGI app; `hotlines` is read per request, so a reload applies at once. `guard`
    counts refused PINs (by default in the Redis of `acds`, shared by every controller)."""
    pins = guard or PinGuard(_shared_redis(acds), clock)

    def hotline_of(request: Request) -> HotlineConfig:
        hotline = hotlines.get(request.path_params["hotline"])
        if hotline is None:
            raise _RefusedError(404, f"no hotline {request.path_params['hotline']!r}")
        return hotline

    def supervisor(request: Request) -> bool:
        given = request.headers.get("authorization", "")
        return token is not None and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())

    async def check_not_locked(address: str, operator: tuple[str, str] | None) -> None:
        wait_s = await pins.retry_after_s(address, operator)
        if wait_s is not None:
            raise _RefusedError(
                429,
                f"too many refused attempts: try again in {wait_s} s",
                {"Retry-After": str(wait_s)},
            )

    async def refuse(address: str, typed: tuple[str, str] | None, known: bool) -> _RefusedError:
        failures = await pins.failed(address, typed)
        # Ids as typed are the client's text: only known ones go into the log line.
        hotline_id = typed[0] if typed is not None and typed[0] in hotlines else "(unknown)"
        who = typed[1] if typed is not None and known else "an unknown operator id"
        log.warning(
            "operator API: refused authentication for %s of hotline %s from %s (%d in a row)",
            who,
            hotline_id,
            address,
            failures,
        )
        return _RefusedError(401, _WHO_ARE_YOU)

    async def list_operators(request: Request) -> JSONResponse:
        address = _client_address(request)
        if not supervisor(request):
            await check_not_locked(address, None)
            if request.headers.get("authorization"):
                raise await refuse(address, None, known=False)
            raise _RefusedError(401, "a supervisor token is needed to list operators")
        hotline = hotline_of(request)
        control = OperatorControl(hotline, acds[hotline.id], clock)
        return JSONResponse({"hotline": hotline.id, "operators": dict(await control.status())})

    async def authenticate(request: Request) -> None:
        """Who is asking, before anything about the ids is said: a supervisor, or the
        operator with their PIN (counted, locked out past the budget)."""
        if supervisor(request):
            return
        address = _client_address(request)
        typed = (request.path_params["hotline"], request.path_params["operator"])
        # Counted and locked out by the ids as typed, known or not: the same answers and
        # the same lockout for an id that does not exist tell an attacker nothing.
        await check_not_locked(address, typed)
        hotline = hotlines.get(typed[0])
        op = hotline.operator(typed[1]) if hotline and hotline.has_operator(typed[1]) else None
        given_pin = request.headers.get("x-operator-pin")
        if (
            op is None
            or op.pin is None
            or given_pin is None
            or not hmac.compare_digest(given_pin.encode(), op.pin.encode())
        ):
            raise await refuse(address, typed, known=op is not None)
        await pins.succeeded(typed)

    async def change(request: Request) -> JSONResponse:
        await authenticate(request)
        hotline = hotline_of(request)
        op_id = request.path_params["operator"]
        action = request.path_params["action"]
        if action not in ACTIONS:
            raise _RefusedError(404, f"no action {action!r} (one of {', '.join(ACTIONS)})")
        if not hotline.has_operator(op_id):
            raise _RefusedError(404, f"hotline {hotline.id} has no operator {op_id!r}")
        body = await _body(request)
        control = OperatorControl(hotline, acds[hotline.id], clock)
        if action == "login":
            state = await control.login(op_id)
        elif action == "logout":
            state = await control.logout(op_id)
        elif action == "pause":
            reason = body.get("reason")
            if not isinstance(reason, str):
                raise _RefusedError(400, 'pause needs {"reason": ...} from routing.pause_reasons')
            state = await control.pause(op_id, reason)
        else:
            disposition = body.get("disposition")
            if disposition is not None and not isinstance(disposition, str):
                raise _RefusedError(400, "disposition must be a string")
            state = await control.ready(op_id, disposition)
        on_change()
        log.info("operator %s (%s): %s over HTTP -> %s", op_id, hotline.id, action, state)
        return JSONResponse({"hotline": hotline.id, "operator": op_id, "state": state})

    def guarded(
        handler: Callable[[Request], Any],
    ) -> Callable[[Request], Any]:
        async def run(request: Request) -> JSONResponse:
            try:
                response: JSONResponse = await handler(request)
            except _RefusedError as exc:
                return JSONResponse(
                    {"error": str(exc)}, status_code=exc.status, headers=exc.headers
                )
            except (OperatorError, AcdConflictError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=409)
            except InvalidAcdRequestError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            except (OSError, redis.RedisError) as exc:
                log.warning("operator API: Redis: %s", exc)
                return JSONResponse({"error": "the queue store is unreachable"}, status_code=503)
            return response

        return run

    return Starlette(
        routes=[
            Route("/api/hotlines/{hotline}/operators", guarded(list_operators), methods=["GET"]),
            Route(
                "/api/hotlines/{hotline}/operators/{operator}/{action}",
                guarded(change),
                methods=["POST"],
            ),
        ]
    )


async def _body(request: Request) -> dict[str, Any]:
    try:
        return await read_json_object(request)
    except BodyError as exc:
        raise _RefusedError(exc.status, str(exc)) from None


def _shared_redis(acds: Mapping[str, Acd]) -> redis.Redis:
    # Every hotline's Acd runs on the controller's one client (hotline.controller.app).
    acd = next(iter(acds.values()), None)
    if acd is None:
        raise ValueError("the operator API needs at least one hotline")
    return acd.redis


def _client_address(request: Request) -> str:
    # The peer of the TCP connection: a forwarded-for header is the client's to write.
    return request.client.host if request.client is not None else "unknown"

"""The HTTP API for operators' state: what the phone's feature codes and `hotline operator`
do, for softphone plug-ins and the supervisors' screens.

    GET  /api/hotlines/{hotline}/operators                       every operator's state
    POST /api/hotlines/{hotline}/operators/{operator}/{action}   login|logout|pause|ready
         JSON body (optional): {"reason": "lunch"} for pause, {"disposition": "..."} for ready

Who may: a supervisor with `Authorization: Bearer <HOTLINE_API_TOKEN>` (everything), or the
operator themself with `X-Operator-Pin: <their pin>` (their own state only). Without a
configured token only the PIN works, and the list is refused. Answers are JSON; an error is
`{"error": "..."}` with 400 (bad request), 401 (who are you), 404 (no such hotline or
operator), 409 (the rules refuse: off shift, disposition required) or 503 (Redis down).
"""

from __future__ import annotations

import hmac
import json
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

log = logging.getLogger(__name__)

ACTIONS = ("login", "logout", "pause", "ready")


class _RefusedError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def operator_api(
    hotlines: Mapping[str, HotlineConfig],
    acds: Mapping[str, Acd],
    clock: Clock,
    on_change: Callable[[], None],
    token: str | None,
) -> Starlette:
    """The ASGI app; `hotlines` is read per request, so a reload applies at once."""

    def hotline_of(request: Request) -> HotlineConfig:
        hotline = hotlines.get(request.path_params["hotline"])
        if hotline is None:
            raise _RefusedError(404, f"no hotline {request.path_params['hotline']!r}")
        return hotline

    def supervisor(request: Request) -> bool:
        given = request.headers.get("authorization", "")
        return token is not None and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())

    async def list_operators(request: Request) -> JSONResponse:
        hotline = hotline_of(request)
        if not supervisor(request):
            raise _RefusedError(401, "a supervisor token is needed to list operators")
        control = OperatorControl(hotline, acds[hotline.id], clock)
        return JSONResponse({"hotline": hotline.id, "operators": dict(await control.status())})

    async def change(request: Request) -> JSONResponse:
        hotline = hotline_of(request)
        op_id = request.path_params["operator"]
        action = request.path_params["action"]
        if action not in ACTIONS:
            raise _RefusedError(404, f"no action {action!r} (one of {', '.join(ACTIONS)})")
        if not hotline.has_operator(op_id):
            raise _RefusedError(404, f"hotline {hotline.id} has no operator {op_id!r}")
        pin = hotline.operator(op_id).pin
        given_pin = request.headers.get("x-operator-pin")
        own = (
            pin is not None
            and given_pin is not None
            and hmac.compare_digest(given_pin.encode(), pin.encode())
        )
        if not (own or supervisor(request)):
            raise _RefusedError(401, "give the operator's X-Operator-Pin or a supervisor token")
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
                return JSONResponse({"error": str(exc)}, status_code=exc.status)
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
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise _RefusedError(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise _RefusedError(400, "the body must be a JSON object")
    return body

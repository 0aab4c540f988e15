"""Reading a JSON request body that a hostile client wrote: bounded in size and nesting.

Python's json module recurses once per level, so `[[[[...]]]]` a few thousand deep raises
RecursionError (a 500 and a traceback); the API's bodies are flat objects, so anything
deeper than `MAX_DEPTH` is refused before json sees it, and anything larger than
`MAX_BODY_BYTES` is not even read to the end.

    >>> nesting_depth(b'{"reason": "lunch"}'), nesting_depth(b'[[1], {"a": "[[[["}]')
    (1, 2)
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

MAX_BODY_BYTES = 4096
MAX_DEPTH = 8


class BodyError(Exception):
    """The body cannot be used; `status` is the HTTP answer (400 or 413)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def read_json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object ({} when empty); BodyError when it cannot be one."""
    raw = await _read_bounded(request)
    if not raw.strip():
        return {}
    if nesting_depth(raw) > MAX_DEPTH:
        raise BodyError(400, f"the body is nested too deeply (at most {MAX_DEPTH} levels)")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise BodyError(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise BodyError(400, "the body must be a JSON object")
    return body


async def _read_bounded(request: Request) -> bytes:
    too_large = BodyError(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            raise too_large
    return bytes(raw)


def nesting_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in `raw`, brackets inside strings aside."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # closing quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest

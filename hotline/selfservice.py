"""Self-service look-ups of the IVR: the one place both drivers (the FastAGI controller and
the classic AGI script) answer a `Lookup` action.

`SelfService.lookup` never raises: whatever goes wrong (no IIN key, an invalid IIN, an unknown
list, a database that is down) it logs the failure and answers "error", and the menu goes on.
It is synchronous; the async controller calls it through `asyncio.to_thread`. An IIN is never
logged in clear (`mask_iin`), and every exception text it logs is scrubbed of 12-digit runs.
"""

from __future__ import annotations

import logging
import re
from typing import Final

import sqlalchemy

from hotline.ivr.actions import Lookup
from hotline.ivr.iin import IinHasher, mask_iin
from hotline.lists.errors import InvalidIinError, ListsError, UnknownListError
from hotline.lists.lookup import is_listed
from hotline.requests.errors import RequestsError
from hotline.requests.lookup import request_status

log = logging.getLogger(__name__)

FOUND: Final = "found"
NOT_FOUND: Final = "not_found"
ERROR: Final = "error"

# A run of exactly 12 ASCII digits in an error text: possibly an IIN, masked before logging.
_IIN_LIKE: Final = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")


class SelfService:
    """Answers `Lookup` actions from the database (recipients lists, request statuses)."""

    def __init__(self, engine: sqlalchemy.Engine, hasher: IinHasher | None) -> None:
        self._engine = engine
        self._hasher = hasher

    def lookup(self, action: Lookup, hotline_id: str) -> str:
        """The `LookupDone` result for `action`: "found" / "not_found" for `recipients_list`,
        the status or "not_found" for `request_status`, "error" on any failure. Never raises.
        """
        try:
            if action.service == "recipients_list":
                return self._recipients_list(action, hotline_id)
            if action.service == "request_status":
                return self._request_status(action, hotline_id)
            log.error("hotline %s: unknown look-up service %r", hotline_id, action.service)
        except Exception as exc:
            log.error(
                "hotline %s: %s look-up failed unexpectedly: %s",
                hotline_id,
                action.service,
                _describe(exc),
            )
        return ERROR

    def _recipients_list(self, action: Lookup, hotline_id: str) -> str:
        masked = mask_iin(action.value)
        if self._hasher is None:
            log.error(
                "hotline %s: recipients list look-up (IIN %s) impossible: no IIN key"
                " (HOTLINE_IIN_KEY or HOTLINE_IIN_KEY_FILE)",
                hotline_id,
                masked,
            )
            return ERROR
        if not action.list_name:
            log.error("hotline %s: recipients list look-up without a list name", hotline_id)
            return ERROR
        try:
            result = is_listed(self._engine, action.list_name, action.value, self._hasher)
        except InvalidIinError as exc:
            log.warning(
                "hotline %s: IIN %s is not valid (%s); list %r not searched",
                hotline_id,
                masked,
                exc.reason,
                action.list_name,
            )
            return ERROR
        except UnknownListError:
            log.error(
                "hotline %s: no recipients list named %r (imported with `hotline lists import`?)",
                hotline_id,
                action.list_name,
            )
            return ERROR
        except ListsError as exc:
            log.error(
                "hotline %s: recipients list %r look-up (IIN %s) failed: %s",
                hotline_id,
                action.list_name,
                masked,
                _describe(exc),
            )
            return ERROR
        return FOUND if result.listed else NOT_FOUND

    def _request_status(self, action: Lookup, hotline_id: str) -> str:
        try:
            status = request_status(self._engine, hotline_id, action.value)
        except RequestsError as exc:
            log.error("hotline %s: request status look-up failed: %s", hotline_id, _describe(exc))
            return ERROR
        return NOT_FOUND if status is None else status


def _describe(exc: BaseException) -> str:
    """`Type: message`, with anything that looks like an IIN masked."""
    text = _IIN_LIKE.sub(lambda m: mask_iin(m.group()), str(exc))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

"""The status of one request of one hotline: one indexed query."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from hotline.requests.db import describe_db_error
from hotline.requests.errors import RequestsDatabaseError
from hotline.requests.importer import is_request_number
from hotline.requests.models import RequestStatus


def request_status(engine: Engine, hotline_id: str, request_number: str) -> str | None:
    """The status of request `request_number` of `hotline_id`, None if there is none.

    Whitespace around the number is ignored; a number that is not 1 to 20 digits cannot be in
    the table and gives None without a query. Raises `RequestsDatabaseError` (a
    `RequestsError`) if the database fails.
    """
    number = request_number.strip()
    if not is_request_number(number):
        return None
    query = select(RequestStatus.status).where(
        RequestStatus.hotline_id == hotline_id, RequestStatus.request_number == number
    )
    try:
        with engine.connect() as conn:
            status: str | None = conn.execute(query).scalar_one_or_none()
    except SQLAlchemyError as exc:
        raise RequestsDatabaseError(
            f"cannot look up a request status of hotline {hotline_id}: {describe_db_error(exc)}"
        ) from None
    return status

"""Is this IIN on that recipients list? One indexed query; the IIN is hashed, never sent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, and_, select
from sqlalchemy.exc import SQLAlchemyError

from hotline.ivr.iin import IinHasher, validate_iin
from hotline.lists.db import describe_db_error
from hotline.lists.errors import InvalidIinError, ListsError, UnknownListError
from hotline.lists.models import RecipientEntry, RecipientList


@dataclass(frozen=True)
class ListedResult:
    listed: bool
    #: The amount the list gives for this IIN; None when not listed or not given.
    amount_tenge: int | None


def is_listed(engine: Engine, list_name: str, iin: str, hasher: IinHasher) -> ListedResult:
    """Look `iin` up in the list `list_name`.

    Raises `InvalidIinError` (with `validate_iin`'s reason code) for an IIN that is not
    valid: the caller most likely mistyped it, and "you are not on the list" would be wrong.
    Raises `UnknownListError` if no list has this name, `ListsError` if the database fails.
    """
    check = validate_iin(iin)
    if check.reason is not None:
        raise InvalidIinError(check.reason)
    query = (
        select(RecipientList.id, RecipientEntry.id, RecipientEntry.amount_tenge)
        .outerjoin(
            RecipientEntry,
            and_(
                RecipientEntry.list_id == RecipientList.id,
                RecipientEntry.iin_hash == hasher.hash(iin),
            ),
        )
        .where(RecipientList.name == list_name)
    )
    try:
        with engine.connect() as conn:
            row = conn.execute(query).first()
    except SQLAlchemyError as exc:
        raise ListsError(f"cannot look up list {list_name!r}: {describe_db_error(exc)}") from None
    if row is None:
        raise UnknownListError(list_name)
    _, entry_id, amount = row
    if entry_id is None:
        return ListedResult(listed=False, amount_tenge=None)
    return ListedResult(listed=True, amount_tenge=amount)

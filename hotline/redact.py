"""Connection URLs fit to print: the password replaced by `***`, the rest kept as written."""

from __future__ import annotations

import re

MASK = "***"
# `scheme://[user[:password]@]host...`: the password is what lies between the first ':'
# and the last '@' of the authority (the part before the first '/', '?' or '#').
_AUTHORITY = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<authority>[^/?#]*)")
# A password given as a query parameter (libpq's and redis-py's `password=`).
_PASSWORD_PARAM = re.compile(r"(?i)([?&]password=)[^&#]*")


def url_without_password(url: str) -> str:
    """`url` with its password masked, for a repr or a log line.

    >>> url_without_password("redis://:s3cret@redis:6379/0")
    'redis://:***@redis:6379/0'
    >>> url_without_password("postgresql+psycopg://hotline:s3cret@db/hotline?sslmode=require")
    'postgresql+psycopg://hotline:***@db/hotline?sslmode=require'
    >>> url_without_password("postgresql+psycopg://hotline@db/hotline?password=s3cret")
    'postgresql+psycopg://hotline@db/hotline?password=***'
    >>> url_without_password("sqlite:////var/lib/hotline/hotline.db")
    'sqlite:////var/lib/hotline/hotline.db'
    """
    match = _AUTHORITY.match(url)
    if match is not None:
        authority = match["authority"]
        userinfo, at, hostport = authority.rpartition("@")
        if at and ":" in userinfo:
            user = userinfo.partition(":")[0]
            authority = f"{user}:{MASK}@{hostport}"
        url = match["scheme"] + authority + url[match.end() :]
    return _PASSWORD_PARAM.sub(lambda m: m[1] + MASK, url)

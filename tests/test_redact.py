"""Connection URLs with their passwords masked (`hotline.redact`), for reprs and log lines."""

from __future__ import annotations

import pytest

from hotline.redact import url_without_password


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@redis:6379/0", "redis://:***@redis:6379/0"),
        ("rediss://hotline:s3cret@redis:6380/1", "rediss://hotline:***@redis:6380/1"),
        ("redis://hotline:s3c@ret@redis/0", "redis://hotline:***@redis/0"),
        ("unix://:s3cret@/run/redis.sock?db=2", "unix://:***@/run/redis.sock?db=2"),
        ("redis://redis/0?password=s3cret&db=1", "redis://redis/0?password=***&db=1"),
        (
            "postgresql+psycopg://hotline:s3cret@db:5432/hotline?sslmode=require",
            "postgresql+psycopg://hotline:***@db:5432/hotline?sslmode=require",
        ),
        (
            "postgresql+psycopg://hotline@db/hotline?Password=s3cret",
            "postgresql+psycopg://hotline@db/hotline?Password=***",
        ),
    ],
)
def test_the_password_is_masked_and_the_rest_kept(url: str, shown: str) -> None:
    assert url_without_password(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "redis://hotline@redis/0",
        "sqlite:////var/lib/hotline/hotline.db",
        "sqlite:///var/hotline.db",
        "postgresql+psycopg://hotline@db/hotline?options=-csearch_path%3Dt_1",
    ],
)
def test_a_url_without_password_is_unchanged(url: str) -> None:
    assert url_without_password(url) == url

"""The newest revision of the one Alembic history (call records, lists, request statuses)."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory

from hotline.records.store import MIGRATIONS_DIR


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head

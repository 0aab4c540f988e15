"""`hotline lists import FILE.csv --list NAME`: load a recipients list into the database.

Wired into `hotline.cli` with `add_parser(sub)` and `commands["lists"] = run`. The IIN
hashing key comes from `HOTLINE_IIN_KEY` or `HOTLINE_IIN_KEY_FILE` (`load_iin_key`).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Final

#: How many skipped line numbers the summary shows before "... and N more".
SHOWN_SKIPPED_MAX: Final = 20


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Add `lists` (with its `import` subcommand) to the `hotline` command's subparsers."""
    lists = subparsers.add_parser("lists", help="manage the IVR's recipients lists")
    actions = lists.add_subparsers(dest="lists_command", required=True)
    imp = actions.add_parser(
        "import",
        help="import (or replace) a recipients list from a CSV file; IINs are stored hashed",
        description="The CSV needs a header with an 'iin' column; 'amount_tenge' and 'note'"
        " are optional. A list of the same name is replaced in one transaction.",
    )
    imp.add_argument("file", type=Path, metavar="FILE.csv")
    imp.add_argument("--list", dest="list_name", required=True, metavar="NAME")
    imp.add_argument(
        "--database-url",
        default=None,
        help="default: $HOTLINE_DATABASE_URL, else SQLite hotline.db in --data-dir",
    )
    imp.add_argument("--data-dir", type=Path, default=Path("var"))
    return lists


def run(args: argparse.Namespace) -> int:
    """Run `hotline lists ...`; raises `HotlineError` subclasses for the caller to print."""
    # Imported here: `hotline --help` need not load SQLAlchemy and Alembic.
    from hotline.ivr.iin import IinHasher, load_iin_key
    from hotline.lists.db import make_engine, migrate
    from hotline.lists.importer import import_list

    hasher = IinHasher(load_iin_key(os.environ))
    url = args.database_url or os.environ.get("HOTLINE_DATABASE_URL") or _default_url(args)
    engine = make_engine(url)
    try:
        migrate(engine)
        report = import_list(engine, args.list_name, args.file, hasher)
    finally:
        engine.dispose()
    print(summary_line(report.list_name, report.imported, report.skipped_invalid, report.replaced))
    return 0


def _default_url(args: argparse.Namespace) -> str:
    data_dir: Path = args.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'hotline.db'}"


def summary_line(
    list_name: str, imported: int, skipped: Sequence[tuple[int, str]], replaced: bool
) -> str:
    """One line: `list 'x': imported 3, skipped 2 (line 4: date, line 7: length), replaced`."""
    text = f"list {list_name!r}: imported {imported}, skipped {len(skipped)}"
    if skipped:
        shown = ", ".join(f"line {line}: {reason}" for line, reason in skipped[:SHOWN_SKIPPED_MAX])
        more = len(skipped) - SHOWN_SKIPPED_MAX
        text += f" ({shown}{f', ... and {more} more' if more > 0 else ''})"
    return text + (", replaced the previous entries" if replaced else ", new list")

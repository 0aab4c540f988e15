"""`hotline requests import FILE.csv --hotline ID`: load a hotline's request statuses.

Wired into `hotline.cli` with `add_parser(sub)` and `commands["requests"] = run`.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Add `requests` (with its `import` subcommand) to the `hotline` command's subparsers."""
    requests = subparsers.add_parser(
        "requests", help="manage the request statuses of the IVR's 'status of my request'"
    )
    actions = requests.add_subparsers(dest="requests_command", required=True)
    imp = actions.add_parser(
        "import",
        help="replace a hotline's request statuses with those of a CSV file",
        description="The CSV needs a header with 'request_number' (1 to 20 digits) and"
        " 'status' (an id like in_progress) columns; other columns are ignored. Any bad line"
        " fails the whole file (FILE:LINE: reason) and nothing is imported; a good file"
        " replaces all the hotline's statuses in one transaction.",
    )
    imp.add_argument("file", type=Path, metavar="FILE.csv")
    imp.add_argument("--hotline", dest="hotline_id", required=True, metavar="ID")
    imp.add_argument(
        "--database-url",
        default=None,
        help="default: $HOTLINE_DATABASE_URL, else SQLite hotline.db in --data-dir",
    )
    imp.add_argument("--data-dir", type=Path, default=Path("var"))
    return requests


def run(args: argparse.Namespace) -> int:
    """Run `hotline requests ...`; raises `HotlineError` subclasses for the caller to print."""
    # Imported here: `hotline --help` need not load SQLAlchemy and Alembic.
    from hotline.requests.db import make_engine, migrate
    from hotline.requests.importer import import_statuses

    url = args.database_url or os.environ.get("HOTLINE_DATABASE_URL") or _default_url(args)
    engine = make_engine(url)
    try:
        migrate(engine)
        report = import_statuses(engine, args.hotline_id, args.file)
    finally:
        engine.dispose()
    print(summary_line(report.hotline_id, report.imported, report.replaced))
    return 0


def _default_url(args: argparse.Namespace) -> str:
    data_dir: Path = args.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'hotline.db'}"


def summary_line(hotline_id: str, imported: int, replaced: int) -> str:
    """One line: `hotline 109: 3 request statuses imported, replacing 5`."""
    text = f"hotline {hotline_id}: {imported} request status(es) imported"
    return text + (f", replacing {replaced}" if replaced else ", none before")

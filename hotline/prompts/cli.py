"""`hotline prompts build [--only LANG] [--force]` and `hotline prompts check`.

Wired into `hotline.cli` with `add_parser(sub)` in `_parser()` and `"prompts": run` in the
command table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hotline.config import available_hotlines, config_dir, find_hotline, load_hotline
from hotline.prompts.build import build_prompts
from hotline.prompts.check import check_prompts
from hotline.prompts.manifest import (
    LANGUAGES,
    default_manifest_path,
    default_prompts_dir,
    load_manifest,
)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `prompts build` and `prompts check` to the `hotline` command's subparsers."""
    prompts = subparsers.add_parser("prompts", help="render and check the voice prompts")
    sub = prompts.add_subparsers(dest="prompts_command", required=True)
    build = sub.add_parser(
        "build",
        help="render missing or changed prompts (espeak-ng, sox); keep studio recordings",
    )
    build.add_argument(
        "--only",
        action="append",
        choices=LANGUAGES,
        metavar="LANG",
        help="only this language (kk, ru, en); repeat for more",
    )
    build.add_argument(
        "--force", action="store_true", help="render everything again, studio recordings too"
    )
    check = sub.add_parser(
        "check", help="every prompt of the shipped menus is in the manifest and rendered"
    )
    for parser in (build, check):
        parser.add_argument("--prompts-dir", type=Path, default=None, metavar="DIR")
        parser.add_argument("--manifest", type=Path, default=None, metavar="FILE")


def run(args: argparse.Namespace) -> int:
    """Run `hotline prompts ...`; raises `HotlineError`s for `hotline.cli.main` to print."""
    prompts_dir: Path = args.prompts_dir or default_prompts_dir()
    manifest = load_manifest(args.manifest or default_manifest_path())
    if args.prompts_command == "build":
        report = build_prompts(prompts_dir, manifest, languages=args.only, force=args.force)
        for name in report.rendered:
            print(f"rendered {name}")
        for name in report.kept_studio:
            changed = (
                " (its manifest text changed since)" if name in report.studio_text_changed else ""
            )
            print(f"kept studio recording {name}{changed}")
        for name in report.unknown:
            print(f"not in the manifest (left alone): {name}")
        print(report.summary())
        return 0
    hotlines = [load_hotline(find_hotline(hotline_id)) for hotline_id in available_hotlines()]
    dialplan = config_dir() / "asterisk" / "extensions.conf"
    problems = check_prompts(
        prompts_dir, manifest, hotlines, dialplan if dialplan.is_file() else None
    )
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} prompts missing or unplayable", file=sys.stderr)
        return 1
    print(
        f"OK: every prompt of {', '.join(h.id for h in hotlines)} is in the manifest and rendered"
    )
    return 0

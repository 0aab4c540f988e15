"""The `hotline` command: check-config, simulate, serve, menu-diagram, mode, lists, requests,
prompts, operator."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hotline.clock import at_epoch_s, parse_datetime
from hotline.errors import HotlineError
from hotline.lists import cli as lists_cli
from hotline.operators import cli as operators_cli
from hotline.prompts import cli as prompts_cli
from hotline.requests import cli as requests_cli

if TYPE_CHECKING:
    from hotline.controller.summary import RunSummary


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    def parse(text: str) -> int | float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    return parse


def _datetime(text: str) -> datetime:
    try:
        return parse_datetime(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check-config", help="validate hotline YAML files")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument(
        "--prompts-manifest",
        type=Path,
        default=None,
        metavar="FILE",
        help="every menu prompt needs a text here in each language the hotline offers "
        "(default: $HOTLINE_PROMPTS_DIR/manifest.yaml, else the repository's "
        "prompts/manifest.yaml)",
    )

    sim = sub.add_parser("simulate", help="run the controller against the PBX simulator")
    sim.add_argument("--hotline", default="400-100", help="hotline id or YAML path")
    sim.add_argument("--calls", type=_positive(int), default=100)
    sim.add_argument("--rate", type=_positive(float), default=10.0, help="calls per minute")
    sim.add_argument("--operators", type=_positive(int), default=5)
    sim.add_argument("--aht", type=_positive(float), default=60.0, help="mean talk time, s")
    sim.add_argument("--patience", type=_positive(float), default=120.0, help="mean, s")
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--speed", type=_positive(float), default=60.0, help="time factor")
    sim.add_argument("--data-dir", type=Path, default=Path("var"))
    sim.add_argument("--database-url", default=None, help="default: SQLite in --data-dir")
    sim.add_argument(
        "--start",
        type=_datetime,
        default=None,
        metavar="DATETIME",
        help="where the simulated clock starts, ISO 8601 (e.g. 2026-12-07T10:00: a Monday "
        "at 10:00, local time of the hotline unless an offset is given; default: now); the "
        "time of day decides the opening hours and the shift on duty",
    )
    sim.add_argument("--json", type=Path, default=None, metavar="PATH")

    serve = sub.add_parser("serve", help="run the controller against a real Asterisk")
    serve.add_argument("--hotline", action="append", required=True, help="id or YAML path")
    serve.add_argument("--data-dir", type=Path, default=Path("var"))

    diagram = sub.add_parser("menu-diagram", help="draw a hotline's menu as a Mermaid flowchart")
    diagram.add_argument("hotline", metavar="HOTLINE", help="hotline id or YAML path")
    diagram.add_argument(
        "--output", type=Path, default=None, metavar="FILE", help="default: stdout"
    )
    mode = sub.add_parser(
        "mode",
        help="show or switch a hotline's mode (normal or emergency) in Redis",
        description="Without MODE print the current mode. New callers follow a change at "
        "once; calls already in the menu keep their path. Needs HOTLINE_REDIS_URL or "
        "REDIS_URL.",
    )
    mode.add_argument("hotline", metavar="HOTLINE", help="hotline id or YAML path")
    mode.add_argument("mode", nargs="?", choices=["normal", "emergency"], metavar="MODE")
    lists_cli.add_parser(sub)
    requests_cli.add_parser(sub)
    prompts_cli.add_parser(sub)
    operators_cli.add_parser(sub)
    return parser


def _check_config(args: argparse.Namespace) -> int:
    from hotline.config import check_config_main

    return check_config_main(list(args.files), args.prompts_manifest)


def _simulate(args: argparse.Namespace) -> int:
    from hotline.config import find_hotline, load_hotline
    from hotline.controller.simulate import SimulationOptions, run_simulation

    hotline = load_hotline(find_hotline(args.hotline))  # a bad one fails before the progress bar
    options = SimulationOptions(
        hotline=args.hotline,
        calls=args.calls,
        rate_per_min=args.rate,
        operators=args.operators,
        aht_s=args.aht,
        patience_s=args.patience,
        seed=args.seed,
        speed=args.speed,
        data_dir=args.data_dir,
        database_url=args.database_url,
        start=None if args.start is None else at_epoch_s(args.start, hotline.timezone),
    )
    console = Console(stderr=True)
    columns = (TextColumn("calls ended"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("calls", total=options.calls)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        summary = asyncio.run(run_simulation(options, on_progress, hotline=hotline))
    Console().print(_summary_table(options.hotline, options.calls, summary))
    for warning in summary.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    if args.json is not None:
        args.json.write_text(json.dumps(summary.as_dict(), indent=2) + "\n")
    return 0 if summary.lost == 0 else 1


def _summary_table(hotline: str, calls: int, summary: RunSummary) -> Table:
    """The figures, each with what it means (units, the service-level threshold)."""
    from hotline.controller.summary import MEANINGS

    title = f"hotline {hotline}: {calls} simulated calls from {summary.start}"
    table = Table(title=title, caption="times in simulated seconds; '-': no such call")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("meaning")
    for key, value in summary.as_dict().items():
        if key == "warnings":
            continue  # printed below the table
        # A group of figures (wait_prediction) gets a row per figure.
        parts = (
            [(f"{key}.{part}", v) for part, v in value.items()]
            if key == "wait_prediction"
            else [(key, value)]
        )
        for name, shown in parts:
            if isinstance(shown, dict):
                shown = ", ".join(f"{k} {v}" for k, v in shown.items()) or "none"
            meaning = MEANINGS.get(name, "")
            if name == "service_level" and summary.service_level_s is not None:
                meaning = meaning.replace("service_level_s", f"{summary.service_level_s:g} s")
            table.add_row(name, "-" if shown is None else str(shown), meaning)
    return table


def _serve(args: argparse.Namespace) -> int:
    from hotline.controller.serve import serve_forever

    return asyncio.run(serve_forever(args.hotline, args.data_dir, os.environ))


def _menu_diagram(args: argparse.Namespace) -> int:
    from hotline.config import find_hotline, load_hotline
    from hotline.ivr.diagram import menu_mermaid

    text = menu_mermaid(load_hotline(find_hotline(args.hotline)))
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise HotlineError(f"cannot write {args.output}: {exc.strerror}") from None
    return 0


def _mode(args: argparse.Namespace) -> int:
    from hotline.config import find_hotline, load_hotline
    from hotline.queue.mode import EMERGENCY, get_mode, set_mode

    hotline = load_hotline(find_hotline(args.hotline))
    redis_url = os.environ.get("HOTLINE_REDIS_URL") or os.environ.get("REDIS_URL")
    if not redis_url:
        raise HotlineError("HOTLINE_REDIS_URL (or REDIS_URL) is not set")
    if args.mode == EMERGENCY and hotline.menu.emergency is None:
        raise HotlineError(f"hotline {hotline.id} has no menu.emergency section in its config")

    async def run() -> str:
        import redis.asyncio as redis

        client = redis.Redis.from_url(redis_url)
        try:
            if args.mode is not None:
                await set_mode(client, hotline.id, args.mode)
            return await get_mode(client, hotline.id)
        except (OSError, redis.RedisError) as exc:
            raise HotlineError(f"Redis: {exc}") from None
        finally:
            await client.aclose()

    print(f"hotline {hotline.id}: {asyncio.run(run())}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    commands = {
        "check-config": _check_config,
        "simulate": _simulate,
        "serve": _serve,
        "menu-diagram": _menu_diagram,
        "mode": _mode,
        "lists": lists_cli.run,
        "requests": requests_cli.run,
        "prompts": prompts_cli.run,
        "operator": operators_cli.run,
    }
    try:
        return commands[args.command](args)
    except HotlineError as exc:
        print(f"hotline: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())

"""`hotline operator login|logout|pause|ready|status`: an operator's state from the shell.

Talks to the ACD in Redis directly (HOTLINE_REDIS_URL or REDIS_URL), as `hotline mode` does:
no controller needs to be reachable, and a running controller's dispatcher sees the change
at its next look (it also looks every few seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import os

from hotline.errors import HotlineError

ACTIONS = ("login", "logout", "pause", "ready")


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    operator = subparsers.add_parser(
        "operator",
        help="log an operator in or out, pause them, make them ready; show every state",
        description="Needs HOTLINE_REDIS_URL or REDIS_URL. `login` is refused for an "
        "operator with no shift on now; `pause` needs a --reason from the hotline's "
        "routing.pause_reasons; `ready` ends a pause or a wrap-up (--disposition where the "
        "hotline requires one).",
    )
    actions = operator.add_subparsers(dest="operator_command", required=True)
    for action in ACTIONS:
        parser = actions.add_parser(action)
        parser.add_argument("hotline", metavar="HOTLINE", help="hotline id or YAML path")
        parser.add_argument("operator_id", metavar="OPERATOR")
        if action == "pause":
            parser.add_argument("--reason", required=True)
        if action == "ready":
            parser.add_argument("--disposition", default=None)
    status = actions.add_parser("status", help="every operator of a hotline and their state")
    status.add_argument("hotline", metavar="HOTLINE", help="hotline id or YAML path")
    return operator


def run(args: argparse.Namespace) -> int:
    """Run `hotline operator ...`; raises `HotlineError`s for `hotline.cli.main` to print."""
    import redis.asyncio as redis

    from hotline.clock import real_clock
    from hotline.config import find_hotline, load_hotline
    from hotline.operators.control import OperatorControl
    from hotline.queue import Acd

    hotline = load_hotline(find_hotline(args.hotline))
    redis_url = os.environ.get("HOTLINE_REDIS_URL") or os.environ.get("REDIS_URL")
    if not redis_url:
        raise HotlineError("HOTLINE_REDIS_URL (or REDIS_URL) is not set")

    async def act() -> list[str]:
        client = redis.Redis.from_url(redis_url)
        control = OperatorControl(hotline, Acd(client, hotline.id), real_clock())
        try:
            command = args.operator_command
            if command == "status":
                states = await control.status()
                return [f"{op_id} {state}" for op_id, state in states.items()]
            if command == "login":
                state = await control.login(args.operator_id)
            elif command == "logout":
                state = await control.logout(args.operator_id)
            elif command == "pause":
                state = await control.pause(args.operator_id, args.reason)
            else:
                state = await control.ready(args.operator_id, args.disposition)
            return [f"operator {args.operator_id} of hotline {hotline.id}: {state}"]
        except (OSError, redis.RedisError) as exc:
            raise HotlineError(f"Redis: {exc}") from None
        finally:
            await client.aclose()

    for line in asyncio.run(act()):
        print(line)
    return 0

"""The ACD's Lua scripts, read once from `lua/` and registered once per Redis client.

Each script is `lib.lua` (shared helpers, the KEYS/ARGV layout) followed by the script's own
body. `register_script` sends EVALSHA and reloads the body after a NOSCRIPT reply, so a Redis
restart (which forgets loaded scripts) needs no handling here.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

_NAMES = (
    "enqueue",
    "position",
    "cancel",
    "login",
    "logout",
    "assign",
    "answered",
    "ring_no_answer",
    "complete",
    "pause",
    "ready",
    "callback_enqueue",
    "callback_no_answer",
    "move",
    "claim",
    "restore_talking",
)


@cache
def _source(name: str) -> str:
    lua = resources.files("hotline.queue") / "lua"
    return (lua / "lib.lua").read_text("utf-8") + "\n" + (lua / f"{name}.lua").read_text("utf-8")


class AcdScripts:
    """One registered script per ACD operation, bound to one client."""

    def __init__(self, redis: Redis) -> None:
        self.enqueue = _register(redis, "enqueue")
        self.position = _register(redis, "position")
        self.cancel = _register(redis, "cancel")
        self.login = _register(redis, "login")
        self.logout = _register(redis, "logout")
        self.assign = _register(redis, "assign")
        self.answered = _register(redis, "answered")
        self.ring_no_answer = _register(redis, "ring_no_answer")
        self.complete = _register(redis, "complete")
        self.pause = _register(redis, "pause")
        self.ready = _register(redis, "ready")
        self.callback_enqueue = _register(redis, "callback_enqueue")
        self.callback_no_answer = _register(redis, "callback_no_answer")
        self.move = _register(redis, "move")
        self.claim = _register(redis, "claim")
        self.restore_talking = _register(redis, "restore_talking")


def _register(redis: Redis, name: str) -> AsyncScript:
    if name not in _NAMES:
        raise ValueError(f"no ACD script named {name!r}")
    return redis.register_script(_source(name))

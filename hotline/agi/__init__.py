"""hotline.agi: our side of FastAGI (Asterisk's AGI over TCP).

`protocol` parses and formats the wire (pure), `env` the env block (pure, strict),
`session` runs typed commands for one call, `server` accepts Asterisk's connections and
dispatches them by `agi_network_script`.

The names below are imported on first use (PEP 562): the classic AGI script imports
`hotline.agi.env` at every call and must not pay for asyncio and the server.
"""

from __future__ import annotations

import importlib

# Not typing.TYPE_CHECKING: importing typing alone costs the classic script 2 ms; mypy
# takes any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from hotline.agi.env import AgiEnv, AgiEnvRefused, parse_env
    from hotline.agi.errors import AgiCommandError, AgiError, AgiHangup, AgiProtocolError
    from hotline.agi.protocol import AgiResponse, parse_response, quote
    from hotline.agi.server import FastAgiServer, Handler
    from hotline.agi.session import AgiSession, GetDataResult, StreamResult

_WHERE = {
    "AgiCommandError": "errors",
    "AgiEnv": "env",
    "AgiEnvRefused": "env",
    "AgiError": "errors",
    "AgiHangup": "errors",
    "AgiProtocolError": "errors",
    "AgiResponse": "protocol",
    "AgiSession": "session",
    "FastAgiServer": "server",
    "GetDataResult": "session",
    "Handler": "server",
    "StreamResult": "session",
    "parse_env": "env",
    "parse_response": "protocol",
    "quote": "protocol",
}

__all__ = [
    "AgiCommandError",
    "AgiEnv",
    "AgiEnvRefused",
    "AgiError",
    "AgiHangup",
    "AgiProtocolError",
    "AgiResponse",
    "AgiSession",
    "FastAgiServer",
    "GetDataResult",
    "Handler",
    "StreamResult",
    "parse_env",
    "parse_response",
    "quote",
]


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'hotline.agi' has no attribute {name!r}")
    return getattr(importlib.import_module(f"hotline.agi.{module}"), name)

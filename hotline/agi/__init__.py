"""hotline.agi: our side of FastAGI (Asterisk's AGI over TCP).

`protocol` parses and formats the wire (pure), `session` runs typed commands for one call,
`server` accepts Asterisk's connections and dispatches them by `agi_network_script`.
"""

from hotline.agi.errors import AgiCommandError, AgiError, AgiHangup, AgiProtocolError
from hotline.agi.protocol import AgiEnv, AgiResponse, parse_env, parse_response, quote
from hotline.agi.server import FastAgiServer, Handler
from hotline.agi.session import AgiSession, GetDataResult, StreamResult

__all__ = [
    "AgiCommandError",
    "AgiEnv",
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

"""hotline.ami: our side of the Asterisk Manager Interface.

`protocol` frames and encodes messages (pure); `client` is the controller's connection,
built on panoramisk 1.4 with its traps defused (`panoramisk_glue`).
"""

from hotline.ami.client import (
    AmiClient,
    AmiDisconnectedError,
    AmiLoginError,
    AmiTimeoutError,
    OriginateResult,
)
from hotline.ami.protocol import (
    AmiActionError,
    AmiError,
    AmiInjectionError,
    AmiMessage,
    AmiParser,
    encode_action,
)

__all__ = [
    "AmiActionError",
    "AmiClient",
    "AmiDisconnectedError",
    "AmiError",
    "AmiInjectionError",
    "AmiLoginError",
    "AmiMessage",
    "AmiParser",
    "AmiTimeoutError",
    "OriginateResult",
    "encode_action",
]

"""AMI users as Asterisk 22 reads them from manager.conf: secret, read and write classes,
deny/permit lists. Pure: no sockets.

The simulator serves the shipped `config/asterisk/manager.conf` with these rights, so the
controller's tests run with exactly what a deployment grants and nothing more:

    >>> user = parse_manager_conf(
    ...     "[hotline]\\nsecret = s\\nread = call\\nwrite = call,originate\\n"
    ...     "deny = 0.0.0.0/0.0.0.0\\npermit = 127.0.0.1/255.255.255.255\\n"
    ... )["hotline"]
    >>> user.may_write(ami_wire.EVENT_FLAGS["system"]), user.permits("127.0.0.1")
    (False, True)
    >>> user.permits("10.0.0.7")
    False
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from hotline.sim import ami_wire

#: The shipped sample, which `hotline simulate` and the controller tests serve.
SHIPPED_MANAGER_CONF = Path(__file__).resolve().parents[2] / "config/asterisk/manager.conf"

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class AmiUser:
    """One `[user]` section. Defaults are manager.c's for a user with no read/write lines
    (no rights) except where built in code, where `everything()` is the simulator's
    historical `read = all`, `write = all`."""

    secret: str
    read: int = 0
    write: int = 0
    #: (allow, network) in file order; the last match wins, as in Asterisk's ast_apply_ha.
    acl: tuple[tuple[bool, _Network], ...] = field(default=())

    @classmethod
    def everything(cls, secret: str) -> AmiUser:
        return cls(secret, ami_wire.ALL_EVENTS, ami_wire.ALL_EVENTS)

    def may_write(self, authority: int) -> bool:
        """manager.c: an action runs if the user has *any* of its classes, or it has none."""
        return authority == 0 or bool(self.write & authority)

    def may_read(self, category: int) -> bool:
        """manager.c: an event is sent only if the user reads *all* of its classes."""
        return self.read & category == category

    def permits(self, address: str) -> bool:
        if not self.acl:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        allowed = True
        for allow, network in self.acl:
            if ip.version == network.version and ip in network:
                allowed = allow
        return allowed


def rights(text: str) -> int:
    """A `read =` / `write =` value as class bits (`get_perm`: a comma list, `all`).

    >>> rights("call,originate") == ami_wire.EVENT_FLAGS["call"] | ami_wire.EVENT_FLAGS["originate"]
    True
    """
    bits = 0
    for label in text.split(","):
        name = label.strip().lower()
        if name == "all":
            bits |= ami_wire.ALL_EVENTS
        else:
            bits |= ami_wire.EVENT_FLAGS.get(name, 0)
    return bits


def parse_manager_conf(text: str) -> dict[str, AmiUser]:
    """Every user section (all but `[general]`), by lower-case name."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            name = line[1:-1].strip().lower()
            current = None if name == "general" else sections.setdefault(name, [])
        elif current is not None and "=" in line:
            key, _, value = line.partition("=")
            current.append((key.strip().lower().lstrip(">").strip(), value.strip()))
    return {name: _user(options) for name, options in sections.items()}


def _user(options: list[tuple[str, str]]) -> AmiUser:
    secret, read, write = "", 0, 0
    acl: list[tuple[bool, _Network]] = []
    for key, value in options:
        if key == "secret":
            secret = value
        elif key == "read":
            read |= rights(value)
        elif key == "write":
            write |= rights(value)
        elif key in {"deny", "permit"}:
            acl.append((key == "permit", ipaddress.ip_network(value, strict=False)))
    return AmiUser(secret, read, write, tuple(acl))


def shipped_user(name: str, secret: str) -> AmiUser:
    """User `name` of the shipped manager.conf, with its sample secret replaced."""
    user = parse_manager_conf(SHIPPED_MANAGER_CONF.read_text())[name.lower()]
    return AmiUser(secret, user.read, user.write, user.acl)

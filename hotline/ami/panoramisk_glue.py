"""Subclasses of panoramisk 1.4 that defuse its traps; only `AmiClient` uses them.

panoramisk keeps the connection, the login, the matching of responses to actions by
ActionID and the event dispatch. What is replaced, and why:

- Framing (`_Protocol.data_received`): panoramisk decodes every TCP chunk on its own with
  errors ignored, so a UTF-8 character split across two reads (a Cyrillic caller-ID name)
  is lost, and it `strip()`s each block, so a last header with an empty value
  (``Value: ``, Getvar of an unset variable) disappears. Our `AmiParser` frames bytes.
- Re-sending (`HotlineManager.send_awaiting_actions`): on a lost connection panoramisk queues
  every unanswered action and sends it again after the next FullyBooted, so an Originate
  could ring a phone twice. We never re-send; `AmiClient` fails the caller's future.
- Keepalive (`HotlineManager.ping`): panoramisk sends Ping but never checks for the Pong; a
  half-dead connection looks alive forever. `AmiClient` runs its own watchdog.
- Reconnect after close (`HotlineManager.connect`, `.connection_made`): panoramisk
  schedules reconnects with `loop.call_later` and keeps no handle, so `Manager.close()`
  cannot stop one already scheduled or under way; a closed manager refuses to connect,
  and drops a connection that completes after the close.
- Outgoing bytes (`WireAction.__str__`): panoramisk writes headers sorted by name and
  checks nothing; ours are encoded by `encode_action`, in order, refusing CR/LF.

panoramisk ships no type hints, so its classes are `Any` to mypy; subclassing them needs
the `type: ignore[misc]` below.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from panoramisk import actions
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.manager import Manager
from panoramisk.message import Message

from hotline.ami.protocol import AmiMessage, AmiParser, encode_action


class WireAction(actions.Action):  # type: ignore[misc]
    """An action whose bytes come from `encode_action` (checked, in header order)."""

    def __init__(self, name: str, headers: Sequence[tuple[str, str]], action_id: str) -> None:
        self.wire = encode_action(name, headers, action_id)  # raises before anything is sent
        super().__init__(_grouped([("Action", name), ("ActionID", action_id), *headers]))

    def __str__(self) -> str:
        return self.wire.decode("utf-8")


def _grouped(headers: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """panoramisk's shape: one key per name, a list where a name repeats."""
    grouped: dict[str, Any] = {}
    for key, value in headers:
        previous = grouped.get(key)
        if previous is None:
            grouped[key] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            grouped[key] = [previous, value]
    return grouped


def to_panoramisk(message: AmiMessage) -> Any:
    """A panoramisk Message for its matching and dispatch, carrying ours as `.hotline`."""
    converted = Message(_grouped(message.headers))
    converted.hotline = message
    return converted


def from_panoramisk(message: Any) -> AmiMessage:
    carried = getattr(message, "__dict__", {}).get("hotline")
    if not isinstance(carried, AmiMessage):
        raise TypeError(f"not a message framed by hotline: {message!r}")
    return carried


class _Protocol(AMIProtocol):  # type: ignore[misc]
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.hotline_parser = AmiParser()

    def data_received(self, data: bytes) -> None:
        parser: AmiParser = self.hotline_parser
        messages = parser.feed(data)
        if parser.banner is not None:
            self.version = parser.banner.version
        for message in messages:
            self.handle_message(to_panoramisk(message))


class HotlineManager(Manager):  # type: ignore[misc]
    """panoramisk's Manager with the traps above defused.

    `on_logged_in(success)` runs after every Login answer; `on_lost()` on every lost
    connection, before panoramisk schedules its reconnect.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str,
        secret: str,
        reconnect_delay_s: float,
        on_logged_in: Callable[[bool, Any], None],
        on_lost: Callable[[], None],
    ) -> None:
        super().__init__(
            host=host,
            port=port,
            username=username,
            secret=secret,
            loop=asyncio.get_running_loop(),
            protocol_factory=_Protocol,
        )
        # panoramisk int()s its config; the attribute itself is what call_later reads.
        self.reconnect_timeout = reconnect_delay_s
        self.hotline_closed = False
        self._on_logged_in = on_logged_in
        self._on_lost = on_lost

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        if self.hotline_closed:
            return None
        return super().connect(*args, **kwargs)

    def connection_made(self, future: asyncio.Future[Any]) -> None:
        """A connect that completes after close() would log in again: drop it instead."""
        if self.hotline_closed:
            if not future.cancelled() and future.exception() is None:
                transport, _ = future.result()
                transport.close()
            return
        super().connection_made(future)

    def login(self, future: asyncio.Future[Any]) -> bool:
        if future.cancelled() or future.exception() is not None:
            return False
        ok: bool = super().login(future)
        self._on_logged_in(ok, future.result())
        return ok

    def connection_lost(self, exc: BaseException | None) -> None:
        self._on_lost()
        if not self.hotline_closed:
            super().connection_lost(exc)

    def ping(self) -> None:
        """Replaced by AmiClient's watchdog, which checks that Pong comes back."""

    def send_awaiting_actions(self, *_: Any) -> None:
        """Never re-send: AmiClient has already failed these actions' futures."""
        self.awaiting_actions.clear()

    def close(self) -> None:
        self.hotline_closed = True
        super().close()

    def drop_connection(self) -> None:
        """Close the socket as if the peer had gone: panoramisk reconnects."""
        protocol = self.protocol
        if protocol is not None and not protocol.closed:
            protocol.connection_lost(None)

"""The AMI client the controller uses: typed actions over panoramisk 1.4's Manager.

What it promises beyond panoramisk (see `panoramisk_glue` for the traps):

- An action is sent at most once. If the connection drops before its answer, its caller
  gets `AmiDisconnectedError` (the action may or may not have run) and the controller decides;
  while disconnected, actions fail at once instead of vanishing into a closed socket.
- `originate` is always ``Async: true`` (a synchronous one makes panoramisk raise
  ``KeyError: 'async'``) and resolves with the OriginateResponse of its ActionID.
- A Ping watchdog on the injected clock: no Pong within `ping_timeout_s` forces a
  reconnect, logged and counted in `watchdog_trips`.
- After every reconnect and login, the `on_reconnect` callbacks run (the controller
  resynchronises with CoreShowChannels: events were lost meanwhile).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hotline.ami.panoramisk_glue import HotlineManager, WireAction, from_panoramisk
from hotline.ami.protocol import AmiActionError, AmiError, AmiMessage, check_header
from hotline.clock import Clock

log = logging.getLogger(__name__)

EventCallback = Callable[[AmiMessage], Awaitable[None] | None]
ReconnectCallback = Callable[[], Awaitable[None] | None]


class AmiDisconnectedError(AmiError):
    """The action was not answered because there is no connection. It was not re-sent:
    if it had been written, Asterisk may or may not have run it."""


class AmiTimeoutError(AmiError):
    """No answer in time; the action may or may not have run."""


class AmiLoginError(AmiError):
    """Asterisk refused the login (wrong user or secret)."""


@dataclass(frozen=True)
class OriginateResult:
    """The OriginateResponse event: ``Response: Success|Failure``, ``Reason`` (4 answered,
    0 no such extension or technology, 3 no answer in time), the channel and uniqueid
    (``<unknown>`` on failure)."""

    response: str
    reason: str
    channel: str
    uniqueid: str

    @property
    def success(self) -> bool:
        return self.response == "Success"


class AmiClient:
    """One AMI connection, kept alive and re-established; see the module docstring."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        secret: str,
        clock: Clock,
        ping_interval_s: float = 5.0,
        ping_timeout_s: float = 3.0,
        *,
        action_timeout_s: float = 10.0,
        connect_timeout_s: float = 10.0,
        reconnect_delay_s: float = 1.0,
    ) -> None:
        check_header("Username", username)
        check_header("Secret", secret)
        self._host = host
        self._port = port
        self._username = username
        self._secret = secret
        self._clock = clock
        self._ping_interval_s = ping_interval_s
        self._ping_timeout_s = ping_timeout_s
        self._action_timeout_s = action_timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._reconnect_delay_s = reconnect_delay_s
        self._manager: HotlineManager | None = None
        self._ready = asyncio.Event()
        self._first_login: asyncio.Future[bool] | None = None
        self._pending: dict[str, WireAction] = {}
        self._event_callbacks: defaultdict[str, list[EventCallback]] = defaultdict(list)
        self._reconnect_callbacks: list[ReconnectCallback] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._watchdog: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._id_prefix = f"hotline-{uuid.uuid4().hex[:8]}"
        self.reconnects = 0
        self.watchdog_trips = 0
        #: Clock time at which the last logged-in connection was lost (None: never). Kept
        #: after the reconnect: the resync dates the hang-ups it missed by it.
        self.disconnected_at: float | None = None

    def __repr__(self) -> str:  # no secret in logs
        return f"AmiClient({self._host}:{self._port}, user={self._username!r})"

    @property
    def connected(self) -> bool:
        """Logged in and usable right now."""
        return self._ready.is_set()

    # -- lifecycle ------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect and log in (retrying a refused connect for `connect_timeout_s`)."""
        if self._manager is not None:
            raise RuntimeError("AmiClient.connect() called twice")
        self._first_login = asyncio.get_running_loop().create_future()
        self._manager = HotlineManager(
            host=self._host,
            port=self._port,
            username=self._username,
            secret=self._secret,
            reconnect_delay_s=self._reconnect_delay_s,
            on_logged_in=self._logged_in,
            on_lost=self._connection_lost,
        )
        self._manager.register_event("*", self._dispatch)
        self._manager.connect()
        try:
            login = asyncio.shield(self._first_login)
            ok = await self._clock.deadline(login, self._connect_timeout_s)
        except TimeoutError as exc:
            await self.close()
            raise AmiDisconnectedError(
                f"AMI {self._host}:{self._port}: no login within {self._connect_timeout_s} s"
            ) from exc
        if not ok:
            await self.close()
            raise AmiLoginError(f"AMI {self._host}:{self._port}: login refused")
        self._watchdog = asyncio.create_task(self._watch_pings())

    async def close(self) -> None:
        """Stop the watchdog, fail what is pending, close the connection for good."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            await asyncio.gather(self._watchdog, return_exceptions=True)
            self._watchdog = None
        if self._manager is not None:
            self._manager.close()
        self._connection_lost()
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- subscriptions ----------------------------------------------------------------

    def on_event(self, name: str, callback: EventCallback) -> None:
        """Call `callback(message)` for events named `name` (case-insensitive; '*': all).

        Events that carry the ActionID of one of our pending actions (OriginateResponse,
        event-list items) go to that action's result instead.
        A coroutine callback runs as a task; a raising callback is logged.
        """
        self._event_callbacks[name.lower()].append(callback)

    def on_reconnect(self, callback: ReconnectCallback) -> None:
        """Call `callback()` after each reconnect and login (not after the first login)."""
        self._reconnect_callbacks.append(callback)

    # -- actions -------------------------------------------------------------------

    async def redirect(self, channel: str, context: str, exten: str, priority: int | str) -> None:
        target = [("Context", context), ("Exten", exten), ("Priority", str(priority))]
        await self._action("Redirect", [("Channel", channel), *target])

    async def setvar(self, channel: str, name: str, value: str) -> None:
        await self._action("Setvar", [("Channel", channel), ("Variable", name), ("Value", value)])

    async def getvar(self, channel: str, name: str) -> str | None:
        """The value, or None: AMI answers an unset variable with an empty ``Value: ``."""
        response = await self._action("Getvar", [("Channel", channel), ("Variable", name)])
        return response.get("Value") or None

    async def hangup(self, channel: str, cause: int = 16) -> None:
        """Hang up one channel. A name in slashes is a regex to Asterisk (it would hang
        up every matching call), so it is refused here."""
        if channel.startswith("/"):
            raise ValueError(f"refusing a regex channel name in Hangup: {channel!r}")
        await self._action("Hangup", [("Channel", channel), ("Cause", str(int(cause)))])

    async def originate(
        self,
        channel: str,
        context: str,
        exten: str,
        priority: int | str,
        variables: Mapping[str, str] | Sequence[tuple[str, str]] = (),
        caller_id: str | None = None,
        timeout_ms: int = 30_000,
        channel_id: str | None = None,
    ) -> OriginateResult:
        """Originate with ``Async: true``; resolves when its OriginateResponse arrives.

        `channel_id` (``ChannelId``) is the new channel's Uniqueid: its events can be told
        apart before the answer comes, and Asterisk allocates no second channel with a
        Uniqueid in use, so a repeated Originate of one id cannot ring twice at once."""
        headers = [
            ("Channel", channel),
            ("Context", context),
            ("Exten", exten),
            ("Priority", str(priority)),
            ("Timeout", str(int(timeout_ms))),
            ("Async", "true"),
        ]
        if caller_id is not None:
            headers.append(("CallerID", caller_id))
        if channel_id is not None:
            headers.append(("ChannelId", channel_id))
        pairs = variables.items() if isinstance(variables, Mapping) else variables
        for name, value in pairs:
            if "=" in name:
                raise ValueError(f"Originate variable name with '=': {name!r}")
            headers.append(("Variable", f"{name}={value}"))
        # The answer waits for the callee: allow the ring time on top of the usual bound.
        replies = await self._action_list(
            "Originate", headers, timeout_s=timeout_ms / 1000 + self._action_timeout_s
        )
        event = next((m for m in replies if m.name == "OriginateResponse"), None)
        if event is None:
            raise AmiError(f"Originate {channel}: no OriginateResponse in {replies!r}")
        return OriginateResult(
            response=event.get("Response") or "",
            reason=event.get("Reason") or "",
            channel=event.get("Channel") or "",
            uniqueid=event.get("Uniqueid") or "",
        )

    async def core_show_channels(self) -> list[AmiMessage]:
        """The CoreShowChannel items (without the start reply and the Complete event)."""
        replies = await self._action_list("CoreShowChannels", [])
        return [m for m in replies if m.name == "CoreShowChannel"]

    async def ping(self) -> float:
        """Round trip of one Ping, in clock seconds; AmiTimeoutError after `ping_timeout_s`."""
        started = self._clock.now()
        await self._action("Ping", [], timeout_s=self._ping_timeout_s)
        return self._clock.now() - started

    # -- the exchange ------------------------------------------------------------------

    async def _action(
        self, name: str, headers: Sequence[tuple[str, str]], timeout_s: float | None = None
    ) -> AmiMessage:
        replies = await self._action_list(name, headers, timeout_s)
        return replies[0]

    async def _action_list(
        self, name: str, headers: Sequence[tuple[str, str]], timeout_s: float | None = None
    ) -> list[AmiMessage]:
        """Send once; the reply (and, for lists and Originate, what follows it)."""
        action = WireAction(name, headers, f"{self._id_prefix}-{next(self._ids)}")
        manager = self._manager
        if manager is None or not self._ready.is_set():
            raise AmiDisconnectedError(f"{name}: not connected to AMI; not sent")
        self._pending[action.action_id] = action
        limit = self._action_timeout_s if timeout_s is None else timeout_s
        try:
            result = await self._clock.deadline(manager.send_action(action), limit)
        except TimeoutError as exc:
            raise AmiTimeoutError(f"{name}: no answer within {limit} s; it may have run") from exc
        finally:
            self._pending.pop(action.action_id, None)
        replies = [from_panoramisk(m) for m in (result if isinstance(result, list) else [result])]
        if replies[0].name in ("Error", "Failure"):
            raise AmiActionError(replies[0])
        return replies

    # -- panoramisk hooks -----------------------------------------------------------

    def _logged_in(self, ok: bool, response: Any) -> None:
        first = self._first_login
        if first is not None and not first.done():
            first.set_result(ok)
            if ok:
                self._ready.set()
            return
        if not ok:
            log.error("AMI re-login refused: %s", from_panoramisk(response).get("Message"))
            return
        self.reconnects += 1
        self._ready.set()
        log.warning("AMI reconnected to %s:%d (#%d)", self._host, self._port, self.reconnects)
        for callback in list(self._reconnect_callbacks):
            self._run_callback(callback)

    def _connection_lost(self) -> None:
        """Fail every unanswered action: panoramisk would re-send or forget them."""
        if self._ready.is_set():  # the first loss of a connection, not a failed retry
            self.disconnected_at = self._clock.now()
        self._ready.clear()
        pending, self._pending = self._pending, {}
        for action in pending.values():
            if not action.future.done():
                what = f"{action['Action']}: connection lost before its answer; not re-sent"
                action.future.set_exception(AmiDisconnectedError(what))
        if self._manager is not None:
            self._manager.awaiting_actions.clear()

    def _dispatch(self, _manager: Any, message: Any) -> None:
        event = from_panoramisk(message)
        name = event.name.lower()
        for callback in [*self._event_callbacks.get(name, []), *self._event_callbacks.get("*", [])]:
            self._run_callback(callback, event)

    def _run_callback(self, callback: Callable[..., Awaitable[None] | None], *args: Any) -> None:
        """Run a listener; a failing one is logged and must not stop the others."""
        try:
            result = callback(*args)
        except Exception:
            log.exception("AMI callback %r failed", callback)
            return
        if result is not None:
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._callback_done)

    def _callback_done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)  # type: ignore[arg-type]
        if not task.cancelled() and task.exception() is not None:
            log.error("AMI callback failed", exc_info=task.exception())

    # -- the watchdog ---------------------------------------------------------------

    async def _watch_pings(self) -> None:
        while True:
            await self._clock.sleep(self._ping_interval_s)
            if not self._ready.is_set():
                continue  # a reconnect is under way
            try:
                await self.ping()
            except AmiTimeoutError:
                self.watchdog_trips += 1
                log.warning(
                    "AMI: no Pong within %.1f s; forcing a reconnect (trip %d)",
                    self._ping_timeout_s,
                    self.watchdog_trips,
                )
                if self._manager is not None:
                    self._manager.drop_connection()
            except AmiError as exc:
                log.info("AMI watchdog ping failed: %s", exc)

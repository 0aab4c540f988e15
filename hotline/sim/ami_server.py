"""The simulator's AMI server: Asterisk 22's manager interface, byte for byte.

Behaviour follows the captures in ../shared/asterisk-reference/ami and, where they are
silent, Asterisk 22's main/manager.c. Two properties of manager.c shape this module:

- A session writes its events from its own thread, between actions. So the reply to an
  action always comes before the events the action caused (Setvar -> VarSet, Hangup ->
  SoftHangupRequest, a synchronous Originate's failed attempt). `AmiSession` holds events
  back while an action runs and releases them after the reply.
- Events are broadcast: SuccessfulAuth, RequestBadFormat, UserEvent and OriginateResponse
  reach every logged-in session whose event mask takes their class, not only the one
  that caused them.

A session that cannot keep up (its outgoing queue reaches `max_queued`, or a write does
not drain within `write_timeout_s` real seconds) is dropped, with a log line saying why,
so a stuck client can never stall the PBX that feeds it events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Protocol

from hotline.clock import Clock
from hotline.sim import ami_wire as wire
from hotline.sim.ami_actions import ACTION_AUTHORITY, ACTION_HANDLERS, Handler
from hotline.sim.ami_auth import AUTH_HANDLERS, OPEN_ACTIONS
from hotline.sim.ami_users import AmiUser
from hotline.sim.ami_wire import Headers

log = logging.getLogger(__name__)

_SECURITY = wire.EVENT_FLAGS["security"]
# The actions themselves live in hotline.sim.ami_auth (those open before login) and
# hotline.sim.ami_actions (the rest).
_HANDLERS: dict[str, Handler] = {**AUTH_HANDLERS, **ACTION_HANDLERS}


class OriginateResult(Protocol):
    """What the PBX reports once an Originate attempt has an outcome."""

    @property
    def response(self) -> str: ...  # "Success" | "Failure"
    @property
    def reason(self) -> int: ...  # 4 answered, 0 no such exten/tech, 3 no answer...
    @property
    def channel(self) -> str: ...
    @property
    def uniqueid(self) -> str | None: ...


class PbxBackend(Protocol):
    """The PBX behind the AMI server (hotline.sim.pbx.SimPBX in production)."""

    def subscribe(self, listener: Callable[[Headers], None]) -> Callable[[], None]: ...
    def channel_snapshots(self) -> list[Headers]: ...
    def has_channel(self, name: str) -> bool: ...
    async def originate(
        self,
        channel: str,
        *,
        context: str | None,
        exten: str | None,
        priority: str | None,
        application: str | None,
        data: str | None,
        variables: list[tuple[str, str]],
        caller_id: str | None,
        timeout_ms: int,
        channel_id: str | None = None,
    ) -> OriginateResult: ...
    def redirect(self, channel: str, context: str, exten: str, priority: str) -> bool: ...
    def hangup(self, channel: str, cause: int) -> bool: ...
    def getvar(self, channel: str | None, name: str) -> str | None: ...
    def setvar(self, channel: str | None, name: str, value: str) -> None: ...
    def uptime_s(self) -> float: ...


class AmiServer:
    """Accepts AMI clients on TCP and serves them from `backend`.

    `users` maps usernames (matched case-insensitively, as manager.conf sections are) to
    an `AmiUser` (its secret, read and write classes, permit list; see
    hotline.sim.ami_users.shipped_user), or to a bare secret for a user that may read and
    write everything (`read = all`, `write = all`). As in manager.c, an action outside the
    user's write classes answers `Permission denied` and an event outside its read classes
    is not sent.
    """

    def __init__(
        self,
        backend: PbxBackend,
        users: Mapping[str, str | AmiUser],
        clock: Clock,
        *,
        rng: random.Random | None = None,
        max_queued: int = 10_000,
        write_timeout_s: float = 5.0,
    ) -> None:
        self.backend = backend
        self.clock = clock
        self.rng = rng or random.Random()
        self.max_queued = max_queued
        self.write_timeout_s = write_timeout_s
        self._users = {
            name.lower(): AmiUser.everything(user) if isinstance(user, str) else user
            for name, user in users.items()
        }
        self._server: asyncio.Server | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._sessions: set[AmiSession] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._calls_processed = 0
        #: Every request received, in order, from every session (tests assert on the exact
        #: actions the controller sent).
        self.requests: list[wire.Request] = []

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen; return the bound port (pass 0 to let the kernel pick one)."""
        self._unsubscribe = self.backend.subscribe(self._on_backend_event)
        self._server = await asyncio.start_server(self._on_connect, host, port)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop listening, end every session and pending async Originate."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._server is not None:
            self._server.close()
        sessions = list(self._sessions)
        for session in sessions:
            session.shut_down()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for session in sessions:
            session.abort()  # a no-op unless a client stopped reading: then reset it
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def user(self, username: str) -> AmiUser | None:
        return self._users.get(username.lower())

    def broadcast(self, category: int, message: bytes) -> None:
        """Offer one event to every session (each applies its own login state and mask)."""
        for session in list(self._sessions):
            session.offer_event(category, message)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` as a task the server cancels on close()."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def calls_processed(self) -> int:
        return self._calls_processed

    def _on_backend_event(self, headers: Headers) -> None:
        fields = dict(headers)
        if fields.get("Event") == "Newchannel" and fields.get("Uniqueid") == fields.get("Linkedid"):
            self._calls_processed += 1
        self.broadcast(wire.event_category(fields.get("Privilege", "")), wire.encode(headers))

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = AmiSession(self, reader, writer)
        self._sessions.add(session)
        # The session runs in its own task so that close() can cancel it while this
        # handler still ends normally (asyncio 3.11's stream callback logs an error
        # for a cancelled handler task).
        task = asyncio.create_task(session.run())
        self._tasks.add(task)
        try:
            await asyncio.wait([task])
        finally:
            self._sessions.discard(session)
            self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "AMI session from %s failed", session.remote_address, exc_info=task.exception()
            )


class AmiSession:
    """One AMI connection: reads requests, runs them one at a time, writes replies/events."""

    def __init__(
        self, server: AmiServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self._reader = reader
        self._writer = writer
        self._requests = wire.RequestReader()
        self._outbox: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._held: list[tuple[int, bytes]] = []
        self._holding = False
        self._closed = False
        self.authenticated = False
        self.username = ""
        #: The rights of the logged-in user (none before Login).
        self.rights = AmiUser("")
        self.event_mask = wire.DEFAULT_EVENT_MASK
        self.challenge = ""
        self.connected_at = server.clock.now()
        self.logged_in_at = self.connected_at
        self.session_id = hex(id(self))
        # A client may already be gone when we get here: then there is no peer name.
        local = writer.get_extra_info("sockname") or ("", 0)
        remote = writer.get_extra_info("peername") or ("", 0)
        self.local_address = wire.ip_address(local[0], local[1])
        self.remote_host = str(remote[0])
        self.remote_address = wire.ip_address(remote[0], remote[1])

    async def run(self) -> None:
        writing = asyncio.create_task(self._write_loop())
        try:
            self._enqueue(wire.BANNER)
            await self._read_loop()
        finally:
            self._closed = True
            self._outbox.put_nowait(None)
            await writing

    def shut_down(self) -> None:
        """Close the connection cleanly (FIN) once what is already written has gone."""
        self._closed = True
        self._writer.transport.close()

    def abort(self) -> None:
        """Cut the connection now (server shutdown or a client that cannot keep up)."""
        self._closed = True
        self._writer.transport.abort()

    # -- output -----------------------------------------------------------------------

    def send(self, headers: Headers) -> None:
        self._enqueue(wire.encode(headers))

    def offer_event(self, category: int, message: bytes) -> None:
        if self._closed:
            return
        if self._holding:
            # Filtered on release: login state and mask are those after the action.
            self._held.append((category, message))
            self._check_room()
        elif self._sends(category):
            self._enqueue(message)

    def _sends(self, category: int) -> bool:
        """manager.c's process_events: logged in, the user reads the class, and the
        session's event mask takes it."""
        return (
            self.authenticated
            and self.rights.may_read(category)
            and wire.wants(self.event_mask, category)
        )

    def _enqueue(self, message: bytes) -> None:
        if self._closed:
            return
        self._outbox.put_nowait(message)
        self._check_room()

    def _check_room(self) -> None:
        queued = self._outbox.qsize() + len(self._held)
        if queued > self.server.max_queued:
            self._drop(f"outgoing queue full ({queued} messages): the client is not reading")

    def _release_held(self) -> None:
        held, self._held = self._held, []
        for category, message in held:
            if self._sends(category):
                self._enqueue(message)

    def _drop(self, why: str) -> None:
        if not self._closed:
            log.warning("AMI session from %s dropped: %s", self.remote_address, why)
        self.abort()

    async def _write_loop(self) -> None:
        try:
            while True:
                batch, last = await self._next_batch()
                if self._writer.transport.is_closing():
                    break
                if batch:
                    self._writer.write(b"".join(batch))
                    await asyncio.wait_for(self._writer.drain(), self.server.write_timeout_s)
                if last:
                    break
        except TimeoutError:
            self._drop(f"a write did not drain within {self.server.write_timeout_s} s")
        except ConnectionError as exc:
            log.info("AMI session from %s: connection lost (%s)", self.remote_address, exc)
            self.abort()
        finally:
            self._writer.close()
            with contextlib.suppress(ConnectionError):
                await self._writer.wait_closed()

    async def _next_batch(self) -> tuple[list[bytes], bool]:
        """Whatever is queued (at least one item), and whether the end marker came."""
        batch: list[bytes] = []
        item = await self._outbox.get()
        while item is not None:
            batch.append(item)
            if self._outbox.empty():
                return batch, False
            item = self._outbox.get_nowait()
        return batch, True

    # -- input ------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        while not self._closed:
            try:
                data = await self._reader.read(65536)
            except ConnectionError:
                return
            if not data:
                return
            for request in self._requests.feed(data):
                if not await self._process(request) or self._closed:
                    return

    async def _process(self, request: wire.Request) -> bool:
        """Run one request; False ends the session (Logoff, failed Login)."""
        self.server.requests.append(request)
        self._holding = True
        keep = False
        try:
            keep = await self._dispatch(request)
            return keep
        except Exception:
            # A PBX bug must not take the session down; the client gets an answer.
            log.exception("AMI action %r failed", request.header("Action"))
            keep = True
            self.send(
                wire.response("Error", request.header("ActionID"), ("Message", "Internal error"))
            )
            return keep
        finally:
            self._holding = False
            if keep:
                self._release_held()
            else:
                # manager.c ends the session without writing pending events.
                self._held.clear()

    async def _dispatch(self, request: wire.Request) -> bool:
        action_id = request.header("ActionID")
        if request.problem is not None:
            self.send(wire.response("Error", action_id, ("Message", request.problem)))
            return True
        action = request.header("Action", skip_empty=True)
        if not action:
            self._report_bad_format("NONE")
            self.send(wire.response("Error", action_id, ("Message", "Missing action in request")))
            return True
        if not self.authenticated and action.lower() not in OPEN_ACTIONS:
            self.send(wire.response("Error", action_id, ("Message", "Permission denied")))
            return True
        handler = _HANDLERS.get(action.lower())
        if handler is None:
            self._report_bad_format(action)
            message = (
                f"Invalid/unknown command: {action}. "
                "Use Action: ListCommands to show available commands."
            )
            self.send(wire.response("Error", action_id, ("Message", message)))
            return True
        if not self.rights.may_write(ACTION_AUTHORITY.get(action.lower(), 0)):
            self.send(wire.response("Error", action_id, ("Message", "Permission denied")))
            return True
        return await handler(self, request)

    # -- security events --------------------------------------------------------------

    def _security_head(self, name: str, severity: str) -> Headers:
        return [
            ("Event", name),
            ("Privilege", "security,all"),
            ("EventTV", wire.event_tv(self.server.clock.now())),
            ("Severity", severity),
            ("Service", "AMI"),
            ("EventVersion", "1"),
        ]

    def _addresses(self) -> Headers:
        return [
            ("SessionID", self.session_id),
            ("LocalAddress", self.local_address),
            ("RemoteAddress", self.remote_address),
        ]

    def _report_bad_format(self, action: str) -> None:
        event = [
            *self._security_head("RequestBadFormat", "Error"),
            *self._addresses(),
            ("RequestType", f"Action: {action}"),
            ("SessionTV", wire.event_tv(self.logged_in_at)),
            ("AccountID", self.username),
        ]
        self.server.broadcast(_SECURITY, wire.encode(event))

    def report_login(self) -> None:
        event = [
            *self._security_head("SuccessfulAuth", "Informational"),
            ("AccountID", self.username),
            *self._addresses(),
            ("UsingPassword", "0"),
            ("SessionTV", wire.event_tv(self.logged_in_at)),
        ]
        self.server.broadcast(_SECURITY, wire.encode(event))

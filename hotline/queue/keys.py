"""Every Redis key name of one hotline's ACD, in one place.

All keys share the hash tag `{<hotline_id>}` so that a hotline's Lua scripts touch one slot
and stay atomic on a Redis Cluster. Keys that depend on an id (a call, an operator, a queue)
are built as `<family prefix><id>`: the scripts receive the family prefixes from here as
arguments, so no key name is spelled anywhere else (not even in the `.lua` files).

Those per-id keys are not declared in KEYS[] (a script cannot know them in advance); a Redis
Cluster accepts that because they hash to the same slot as the declared keys, through the tag.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass

#: A finished (done or cancelled) call's hash lives this long for late events and look-ups.
CALL_TTL_S = 24 * 3600

_FORBIDDEN_IN_HOTLINE_ID = frozenset("{}")


def pin_failures_of_address(address: str) -> str:
    """HASH: the operator API's refused attempts from client `address`, every hotline
    together (hotline.web.pin_guard). Outside any hotline's hash tag: its own slot."""
    return "hl:pin-failures:addr:" + address


def pin_failures_of_operator(hotline_id: str, op_id: str) -> str:
    """HASH: the operator API's refused PINs in a row for `op_id` of `hotline_id` as the
    client typed them, whether they exist or not (an unknown id must be locked out like a
    known one, or the lockout would tell which ids exist). A plausible id gets a readable
    key under its hotline's tag (`AcdKeys.pin_failures`); any other text a digest."""
    if len(hotline_id) <= _MAX_READABLE_ID and len(op_id) <= _MAX_READABLE_ID:
        with contextlib.suppress(ValueError):
            return AcdKeys(hotline_id).pin_failures(op_id)
    typed = f"{hotline_id}\n{op_id}".encode("utf-8", "surrogateescape")
    return "hl:pin-failures:op-digest:" + hashlib.sha256(typed).hexdigest()[:32]


_MAX_READABLE_ID = 64


@dataclass(frozen=True)
class AcdKeys:
    """Key names for hotline `hotline_id`, e.g. `hl:{400-100}:call:<call id>`."""

    hotline_id: str

    def __post_init__(self) -> None:
        # A brace would end the hash tag early and scatter the hotline over slots.
        if not self.hotline_id or _FORBIDDEN_IN_HOTLINE_ID & set(self.hotline_id):
            raise ValueError(f"invalid hotline id for Redis keys: {self.hotline_id!r}")

    @property
    def prefix(self) -> str:
        return f"hl:{{{self.hotline_id}}}:"

    # -- fixed keys -------------------------------------------------------------------------

    @property
    def waiting(self) -> str:
        """ZSET: every waiting call id, scored by its place (lower is served first)."""
        return self.prefix + "waiting"

    @property
    def available(self) -> str:
        """ZSET: every available operator id, scored by `idle_since_s` (longest idle first)."""
        return self.prefix + "available"

    @property
    def operators(self) -> str:
        """SET: every operator id that ever logged in (for supervisors and gauges)."""
        return self.prefix + "operators"

    @property
    def queues(self) -> str:
        """SET: every queue id seen by an enqueue or a login; `assign` looks at each."""
        return self.prefix + "queues"

    @property
    def wrap_up(self) -> str:
        """ZSET: every operator in wrap-up, scored by `wrap_up_until_s`; `assign` moves the
        expired ones to available first (lazy expiry: no timer has to run)."""
        return self.prefix + "wrap-up"

    @property
    def reoffer(self) -> str:
        """ZSET: `<call id>|<operator id>` for each operator who let a waiting call ring out
        or did not take it, scored by when that operator may be offered that call again;
        `assign` drops the entries that ran out first (see `lua/ring_no_answer.lua`)."""
        return self.prefix + "reoffer"

    @property
    def mode(self) -> str:
        """STRING: the hotline's mode, `normal` or `emergency` (absent: normal). Read once per
        call by the IVR driver; set with `hotline mode` (see `hotline.queue.mode`)."""
        return self.prefix + "mode"

    @property
    def callbacks(self) -> str:
        """ZSET (legacy): call-back requests of before the ACD held them as entries, scored
        like waiting calls; `hotline.queue.callbacks.move_legacy_requests` empties it."""
        return self.prefix + "callbacks"

    @property
    def alive(self) -> str:
        """SET: the ids of the controllers serving the hotline since Redis last kept its data;
        a controller missing from it knows Redis lost its data (a restart without the
        append-only file, a FLUSHALL; see `hotline.controller.rebuild`)."""
        return self.prefix + "alive"

    # -- families keyed by an id ----------------------------------------------------------

    @property
    def callback_prefix(self) -> str:
        """HASH per legacy call-back request (see `callbacks`): `callback_prefix + id`."""
        return self.prefix + "callback:"

    @property
    def call_prefix(self) -> str:
        """HASH per call: `call_prefix + call_id`."""
        return self.prefix + "call:"

    @property
    def operator_prefix(self) -> str:
        """HASH per operator: `operator_prefix + op_id`."""
        return self.prefix + "op:"

    @property
    def queue_waiting_prefix(self) -> str:
        """ZSET per queue: that queue's waiting calls, same scores as `waiting`."""
        return self.prefix + "queue-waiting:"

    @property
    def queue_available_prefix(self) -> str:
        """ZSET per queue: available operators serving it, scored by `idle_since_s`."""
        return self.prefix + "queue-available:"

    @property
    def queue_last_operator_prefix(self) -> str:
        """STRING per queue: the operator the queue's last call went to (round robin)."""
        return self.prefix + "queue-last-op:"

    @property
    def lease_prefix(self) -> str:
        """STRING per controller serving the hotline, set with a PX expiry and renewed while
        it runs (its heartbeat): `lease_prefix + controller_id`. A call's `owner` whose lease
        is gone may be taken over (`lua/claim.lua`)."""
        return self.prefix + "controller:"

    def call(self, call_id: str) -> str:
        return self.call_prefix + call_id

    def lease(self, controller_id: str) -> str:
        return self.lease_prefix + controller_id

    def operator(self, op_id: str) -> str:
        return self.operator_prefix + op_id

    def pin_failures(self, op_id: str) -> str:
        """HASH: the operator API's refused PINs of operator `op_id` in a row and their
        lockout (hotline.web.pin_guard), shared by every controller; expires when idle."""
        return self.prefix + "pin-failures:" + op_id

    def queue_waiting(self, queue_id: str) -> str:
        return self.queue_waiting_prefix + queue_id

    def queue_available(self, queue_id: str) -> str:
        return self.queue_available_prefix + queue_id

    def queue_last_operator(self, queue_id: str) -> str:
        return self.queue_last_operator_prefix + queue_id

    # -- what every script receives -------------------------------------------------------

    @property
    def wake_channel(self) -> str:
        """PUB/SUB channel: something a dispatcher should act on now changed outside it (an
        operator's state from the CLI). The message carries nothing."""
        return self.prefix + "wake"

    @property
    def dispositions(self) -> str:
        """LIST: ended wrap-ups' dispositions (given, or missing where one was required),
        one tab-separated entry each, until the controller moves them to SQL."""
        return self.prefix + "dispositions"

    def script_keys(self) -> list[str]:
        """KEYS[1..7] of every ACD script (see `lua/lib.lua`)."""
        return [
            self.waiting,
            self.available,
            self.operators,
            self.queues,
            self.wrap_up,
            self.dispositions,
            self.reoffer,
        ]

    def script_prefixes(self) -> list[str]:
        """ARGV[1..5] of every ACD script: the families the script builds keys from."""
        return [
            self.call_prefix,
            self.operator_prefix,
            self.queue_waiting_prefix,
            self.queue_available_prefix,
            self.queue_last_operator_prefix,
        ]

"""Taking over calls after a controller restart, and the AMI events seen twice.

The callers wait inside Asterisk and their places are in Redis; only the controller's
`TrackedCall`s live in memory. A call the ACD has in progress that the tracker does not know
(a new controller process) is *adopted*: its `TrackedCall` is rebuilt from the call hash, so
its hold visits keep it waiting at its place and its AMI events and record work as before.

What the call hash does not hold is lost for the record: the menu path and node, and the time
the call reached the menu (`arrived_at` becomes the enqueue time). The caller's number comes
from the channel, not from Redis.
"""

from __future__ import annotations

from collections import OrderedDict

from hotline.ami.protocol import AmiMessage
from hotline.controller.tracker import TrackedCall
from hotline.queue.inventory import StoredCall

#: CoreShowChannels' and the AGI environment's way of saying "no caller id".
_NO_NUMBER = frozenset({"", "<unknown>", "unknown"})


def adopted_call(hotline_id: str, stored: StoredCall, caller: str) -> TrackedCall:
    """The `TrackedCall` of a call the ACD has in progress (see the module docstring)."""
    return TrackedCall(
        call_id=stored.call_id,
        hotline_id=hotline_id,
        uniqueid=stored.uniqueid,
        channel=stored.channel,
        caller="" if caller in _NO_NUMBER else caller,
        arrived_at=stored.arrived_at_s,
        language=stored.language or None,
        topic=stored.topic or None,
        queue_id=stored.queue_id,
        enqueued_at=stored.arrived_at_s,
        priority=stored.priority,
        operator_id=stored.operator_id if stored.state in ("offered", "talking") else None,
        answered_at=stored.answered_at_s if stored.state == "talking" else None,
    )


class RecentEvents:
    """The keys of the last `size` AMI events handled, to drop one that comes twice.

    Two events are the same if they have the same name, Uniqueid and distinguishing fields
    (`DestUniqueid` and `DialStatus` of a DialEnd: each Dial rings a new operator channel, so
    a second ring-no-answer of one caller is a new event).
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._keys: OrderedDict[tuple[str, ...], None] = OrderedDict()

    def repeated(self, message: AmiMessage) -> bool:
        """True if an event like `message` was seen lately; remembers it either way."""
        key = (
            message.name.lower(),
            message.get("Uniqueid") or "",
            message.get("DestUniqueid") or "",
            message.get("DialStatus") or "",
        )
        if key in self._keys:
            self._keys.move_to_end(key)
            return True
        self._keys[key] = None
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)
        return False


class UnfollowedEvents:
    """The DialEnd and Hangup events of caller channels this controller does not track
    (another controller's calls), by Uniqueid, with the clock time each came.

    Several controllers share the ACD and one Asterisk: each follows the calls it owns. When
    an owner dies, its calls go on (the operator answers, the caller hangs up) until its
    lease expires and another controller takes them over; the taker replays what it kept
    here (`Dispatcher.adopt`). Bounded: the events of the `size` most recent channels.
    """

    def __init__(self, size: int = 4096, per_channel: int = 16) -> None:
        self._size = size
        self._per_channel = per_channel
        self._by_uniqueid: OrderedDict[str, list[tuple[float, AmiMessage]]] = OrderedDict()

    def note(self, message: AmiMessage, at: float) -> None:
        uniqueid = message.get("Uniqueid") or ""
        if not uniqueid:
            return
        kept = self._by_uniqueid.setdefault(uniqueid, [])
        self._by_uniqueid.move_to_end(uniqueid)
        kept.append((at, message))
        del kept[: -self._per_channel]
        if len(self._by_uniqueid) > self._size:
            self._by_uniqueid.popitem(last=False)

    def pop(self, uniqueid: str) -> list[tuple[float, AmiMessage]]:
        """The events kept for `uniqueid`, oldest first, forgotten here."""
        return self._by_uniqueid.pop(uniqueid, [])

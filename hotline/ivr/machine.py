"""The IVR menu as a pure state machine: events in, actions out, no I/O.

A call goes: language choice -> greeting (if any) -> the start node -> ... -> a terminal
action. Nodes (`hotline.config.menu`) are choices, announcements, digit collections,
self-service look-ups, queues, call-back offers, goodbyes and go-tos.

    LANGUAGE --digit--> GREETING --PlayFinished--> node --...--> Enqueue / Callback / Hangup
    closed (outside the opening hours): LANGUAGE --> CLOSED (the hours) --> `closed_node`
        (self-service) or Finish("closed"); a way to an operator ends as Finish("closed").
    emergency: LANGUAGE --> ANNOUNCEMENT --> `emergency.node` (no greeting).

Node states: MENU (a `CollectDigits` of an asking node outstanding), MENU_RETRY (the invalid
prompt), PLAYING (an announcement node), LOOKUP (a `Lookup`), RESULT (the look-up's answer),
CONFIRM (the call-back confirmation).

Rules that keep a caller from being dropped or stuck:
- every wrong entry or silence uses a try; after the last try the caller goes to the node's
  `after_tries`, by default an operator (`menu.operator_topic`);
- '*' repeats the prompt without using a try, at most `MAX_REPEATS` times per step, then it
  counts as a wrong entry; `menu.operator_digit` asks for an operator at a choice;
- a key during a greeting, announcement or result prompt answers the next node when that node
  is a choice, so a caller who knows the menu need not listen;
- an event that does not fit the outstanding action is read as the nearest fitting one, and
  more than `MAX_HOPS` nodes without the caller's input (a configuration loop) go to an
  operator: the machine never raises.

Hang-ups: Finish("abandoned", node=where) ("abandoned in IVR"), except outside the opening
hours (Finish("closed")), after a completed self-service look-up (Finish("self_served"): the
caller heard the answer), and during the call-back confirmation (the request stands).
A look-up answered when it gave found / not_found or a status; one that could not answer
(`error`: no key, the database down, no number collected) serves nobody: a hangup node
reached after it, with no look-up answered, ends the call as `abandoned`, not
`self_served`. `lookup_result` keeps the last look-up's result for the call record.

`path` lists every branch taken, in the vocabulary of `hotline.ivr.branches`:
"language:ru", "main:1", "main:invalid", "main:timeout", "main:repeat", "main:default",
"main:operator", "iin:ok", "check:found", "offer:accept", "offer:decline".
"""

from __future__ import annotations

from enum import Enum

from hotline.config.menu import (
    AnnouncementNode,
    CallbackNode,
    ChoiceNode,
    CollectNode,
    GotoNode,
    HangupNode,
    LookupNode,
    MenuNode,
    QueueNode,
    Target,
)
from hotline.config.menu_checks import RESERVED_NODE_IDS
from hotline.config.schema import HotlineConfig
from hotline.ivr.actions import (
    Action,
    Callback,
    CollectDigits,
    Enqueue,
    Finish,
    Hangup,
    Lookup,
    Outcome,
    Play,
)
from hotline.ivr.events import CallerHungUp, DigitsEntered, Event, LookupDone
from hotline.ivr.iin import validate_iin

# The language menu's digits are the same on every hotline, whatever the order of its
# languages: 1 Kazakh, 2 Russian, 3 English.
LANGUAGE_DIGITS: dict[str, str] = {"1": "kk", "2": "ru", "3": "en"}
REPEAT_DIGIT = "*"
MAX_REPEATS = 5
MAX_HOPS = 32
ACCEPT_DIGIT = "1"
DECLINE_DIGIT = "2"

# Where a caller is before reaching a menu node (`IvrMachine.where`); node ids may not use them.
LANGUAGE_STEP = "language"
GREETING_STEP = "greeting"
ANNOUNCEMENT_STEP = "emergency-announcement"
CLOSED_STEP = "closed-hours"
PSEUDO_NODES = (LANGUAGE_STEP, GREETING_STEP, ANNOUNCEMENT_STEP, CLOSED_STEP)
assert PSEUDO_NODES == RESERVED_NODE_IDS  # check-config keeps node ids off these


class State(Enum):
    NEW = "new"
    LANGUAGE = "language"  # CollectDigits(language prompt) outstanding
    LANGUAGE_RETRY = "language-retry"  # Play(invalid choice) outstanding, then ask again
    GREETING = "greeting"  # Play(greeting) outstanding
    ANNOUNCEMENT = "announcement"  # Play(emergency announcement) outstanding
    CLOSED = "closed"  # Play(closed prompt: the opening hours) outstanding
    MENU = "menu"  # CollectDigits of an asking node outstanding
    MENU_RETRY = "menu-retry"  # Play(invalid prompt) outstanding, then ask again
    PLAYING = "playing"  # Play of an announcement node outstanding
    LOOKUP = "lookup"  # Lookup outstanding
    RESULT = "result"  # Play(the look-up's result prompt) outstanding
    CONFIRM = "confirm"  # Play(call-back confirmation) outstanding
    DONE = "done"  # a terminal action was given


class IvrMachine:
    """One caller's way through a hotline's menu."""

    def __init__(
        self, config: HotlineConfig, open_now: bool = True, emergency: bool = False
    ) -> None:
        """`open_now`: whether the call came within the opening hours (the driver asks
        `hotline.shifts.is_open`). `emergency`: the hotline's mode is emergency (the driver
        reads it from Redis); it only counts when the menu has an `emergency` section."""
        self._config = config
        self._open_now = open_now
        self._menu = config.menu
        self._emergency = config.menu.emergency if emergency else None
        self._node_name = self._emergency.node if self._emergency is not None else config.menu.start
        self._state = State.NEW
        self._failures = 0  # wrong entries and silences at the current step
        self._repeats = 0  # '*' presses at the current step
        self._hops = 0  # nodes entered since the caller's last input
        self._terminal: Action | None = None
        self._stored: dict[str, str] = {}  # collect nodes' numbers, by `store`
        self._served = False  # a self-service look-up gave an answer
        self._lookup_result: str | None = None  # the last look-up's result key
        self._reached_node = False
        self.language: str = config.default_language
        self.topic: str | None = None
        self._path: list[str] = []

    # --- what the driver may read --------------------------------------------------------------

    @property
    def state(self) -> State:
        return self._state

    @property
    def path(self) -> tuple[str, ...]:
        """Every branch taken, e.g. ("language:ru", "main:invalid", "main:1")."""
        return tuple(self._path)

    @property
    def open_now(self) -> bool:
        return self._open_now

    @property
    def emergency(self) -> bool:
        """Whether this call takes the emergency path (the mode and a configured section)."""
        return self._emergency is not None

    @property
    def lookup_result(self) -> str | None:
        """The last look-up's result as the caller heard it (`found`, `not_found`, a
        status, or `error` when it could not answer); None if the call had no look-up."""
        return self._lookup_result

    @property
    def node_name(self) -> str | None:
        """The menu node the caller is at, None before the first one."""
        return self._node_name if self._reached_node else None

    @property
    def where(self) -> str:
        """The node the caller is at, or the step before the nodes (`PSEUDO_NODES`)."""
        if self._reached_node:
            return self._node_name
        if isinstance(self._terminal, Finish) and self._terminal.node is not None:
            # Ended before the nodes: the step it ended at (not the state's, now DONE).
            return self._terminal.node
        if self._state in (State.NEW, State.LANGUAGE, State.LANGUAGE_RETRY):
            return LANGUAGE_STEP
        if self._state is State.ANNOUNCEMENT:
            return ANNOUNCEMENT_STEP
        if self._state is State.CLOSED:
            return CLOSED_STEP
        return GREETING_STEP

    def snapshot(self) -> tuple[object, ...]:
        """A hashable summary of all that decides what comes next (for `hotline.ivr.branches`'
        search; the stored numbers count by name only)."""
        return (
            self._state,
            self._node_name,
            self._reached_node,
            self._failures,
            self._repeats,
            self.language,
            tuple(sorted(self._stored)),
            self._served,
            self._lookup_result == "error",
        )

    @property
    def node(self) -> MenuNode:
        return self._menu.nodes[self._node_name]

    # --- driving ---------------------------------------------------------------------------------

    def start(self) -> Action:
        """The first action of the call."""
        if self._state is not State.NEW:
            return self._terminal if self._terminal is not None else self._restart_step()
        if len(self._config.languages) == 1:
            return self._after_language()
        return self._ask_language()

    def handle(self, event: Event) -> Action:
        """The next action after `event`. Never raises; terminal actions repeat once given."""
        self._hops = 0
        state = self._state
        match state, event:
            case State.DONE, _:
                assert self._terminal is not None
                return self._terminal
            case State.CONFIRM, _:
                # Played, cut short or hung up on: the caller pressed 1, the request stands.
                return self._callback()
            case _, CallerHungUp():
                return self._hung_up()
            case State.NEW, _:
                return self.start()
            case State.LANGUAGE | State.LANGUAGE_RETRY, DigitsEntered(digits=digits) if digits:
                return self._language_digits(digits)
            case State.LANGUAGE, _:
                return self._language_failed(wrong_digit=False)
            case State.LANGUAGE_RETRY, _:
                return self._ask_language()
            case State.CLOSED, DigitsEntered(digits=digits) if (
                digits == REPEAT_DIGIT and self._may_repeat()
            ):
                return self._play_closed()
            case State.CLOSED, _:
                if self._menu.closed_node is None:
                    # Played to the end, or a key cut it short: either way the call is over.
                    return self._finish("closed", "outside opening hours")
                return self._go(Target(goto=self._menu.closed_node), _digits(event))
            case State.GREETING | State.ANNOUNCEMENT, _:
                return self._go(Target(goto=self._node_name), _digits(event))
            case State.MENU, DigitsEntered(digits=digits) if digits:
                return self._node_digits(digits)
            case State.MENU, _:
                return self._node_failed(wrong_entry=False)
            case State.MENU_RETRY, DigitsEntered(digits=digits) if digits and not isinstance(
                self.node, CollectNode
            ):
                # A key during the invalid prompt answers a choice (not a number being typed:
                # its first digit would be cut off).
                return self._node_digits(digits)
            case State.MENU_RETRY, _:
                return self._ask()
            case State.PLAYING, _:
                node = self.node
                assert isinstance(node, AnnouncementNode)
                return self._go(node.next, _digits(event))
            case State.LOOKUP, LookupDone(result=result):
                return self._lookup_done(result)
            case State.LOOKUP, _:
                return self._lookup_done("error")
            case State.RESULT, _:
                node = self.node
                assert isinstance(node, LookupNode)
                return self._go(node.next, _digits(event))
            case _:  # pragma: no cover - every state is matched above
                return self._to_operator()

    # --- language ----------------------------------------------------------------------------

    def _ask_language(self) -> Action:
        self._state = State.LANGUAGE
        return CollectDigits(
            prompt=self._menu.language_prompt,
            language=self._config.default_language,
            max_digits=1,
            timeout_s=self._menu.language_timeout_s,
        )

    def _language_digits(self, digits: str) -> Action:
        if digits == REPEAT_DIGIT and self._may_repeat():
            self._path.append(f"{LANGUAGE_STEP}:repeat")
            return self._ask_language()
        language = LANGUAGE_DIGITS.get(digits)
        if language is None or language not in self._config.languages:
            return self._language_failed(wrong_digit=True)
        self.language = language
        self._path.append(f"{LANGUAGE_STEP}:{language}")
        return self._after_language()

    def _language_failed(self, *, wrong_digit: bool) -> Action:
        self._failures += 1
        self._path.append(f"{LANGUAGE_STEP}:{'invalid' if wrong_digit else 'timeout'}")
        if self._failures >= self._menu.language_tries:
            self.language = self._config.default_language
            self._path.append(f"{LANGUAGE_STEP}:default")
            return self._after_language()
        if wrong_digit:
            self._state = State.LANGUAGE_RETRY
            return Play(self._menu.invalid_prompt, self._config.default_language)
        return self._ask_language()

    def _after_language(self) -> Action:
        self._next_step()
        if not self._open_now:
            return self._play_closed()
        if self._emergency is not None:
            self._state = State.ANNOUNCEMENT
            return Play(self._emergency.announcement, self.language)
        if self._menu.greeting is not None:
            self._state = State.GREETING
            return Play(self._menu.greeting, self.language)
        return self._enter(self._node_name)

    def _play_closed(self) -> Action:
        self._state = State.CLOSED
        return Play(self._config.closed_prompt, self.language)

    # --- nodes -------------------------------------------------------------------------------

    def _go(self, target: Target, digits: str = "") -> Action:
        """Follow `target`; `digits` pressed during the prompt before answer a choice there."""
        if target.queue_topic is not None:
            return self._to_queue(target.queue_topic)
        assert target.goto is not None
        action = self._enter(target.goto)
        if (
            digits
            and self._state is State.MENU
            and isinstance(self.node, ChoiceNode | CallbackNode)
        ):
            return self._node_digits(digits)
        return action

    def _enter(self, name: str) -> Action:
        self._hops += 1
        if self._hops > MAX_HOPS or name not in self._menu.nodes:
            # A loop or a missing node (check-config refuses both): a person takes over.
            return self._to_operator()
        self._node_name = name
        self._reached_node = True
        self._next_step()
        node = self.node
        match node:
            case ChoiceNode() | CollectNode() | CallbackNode():
                return self._ask()
            case AnnouncementNode():
                self._state = State.PLAYING
                return Play(node.prompt, self.language)
            case LookupNode():
                value = self._stored.get(node.input)
                if value is None:
                    return self._lookup_done("error")
                self._state = State.LOOKUP
                return Lookup(node.service, value, node.list)
            case QueueNode():
                return self._to_queue(node.topic, node.priority)
            case HangupNode():
                return self._end(Hangup(node.prompt, self.language, self._goodbye_outcome()))
            case GotoNode():
                return self._enter(node.target)
        return self._to_operator()  # pragma: no cover - every kind is matched above

    def _ask(self) -> Action:
        self._state = State.MENU
        node = self.node
        assert isinstance(node, ChoiceNode | CollectNode | CallbackNode)
        max_digits = node.max_digits if isinstance(node, CollectNode) else 1
        return CollectDigits(node.prompt, self.language, max_digits, node.timeout_s)

    def _node_digits(self, digits: str) -> Action:
        node = self.node
        name = self._node_name
        if digits == REPEAT_DIGIT and self._may_repeat():
            self._path.append(f"{name}:repeat")
            return self._ask()
        match node:
            case ChoiceNode():
                option = node.options.get(digits)
                if option is not None:
                    self._path.append(f"{name}:{digits}")
                    return self._go(option)
            case CallbackNode():
                if digits == ACCEPT_DIGIT:
                    self._path.append(f"{name}:accept")
                    self._state = State.CONFIRM
                    return Play(node.confirm_prompt, self.language)
                if digits == DECLINE_DIGIT:
                    self._path.append(f"{name}:decline")
                    return self._go(node.decline)
            case CollectNode():
                if _valid_entry(node, digits):
                    self._path.append(f"{name}:ok")
                    self._stored[node.store] = digits
                    return self._go(node.next)
                return self._node_failed(wrong_entry=True)
        if digits == self._menu.operator_digit:
            self._path.append(f"{name}:operator")
            return self._to_operator()
        return self._node_failed(wrong_entry=True)

    def _node_failed(self, *, wrong_entry: bool) -> Action:
        node = self.node
        assert isinstance(node, ChoiceNode | CollectNode | CallbackNode)
        name = self._node_name
        self._failures += 1
        self._path.append(f"{name}:{'invalid' if wrong_entry else 'timeout'}")
        if self._failures >= node.tries:
            # Out of tries: a person sorts it out (or `after_tries`): never a silent drop.
            self._path.append(f"{name}:default")
            if node.after_tries is not None:
                return self._go(node.after_tries)
            return self._to_operator()
        if wrong_entry:
            self._state = State.MENU_RETRY
            invalid = node.invalid_prompt if isinstance(node, CollectNode) else None
            return Play(invalid or self._menu.invalid_prompt, self.language)
        return self._ask()

    def _lookup_done(self, result: str) -> Action:
        node = self.node
        assert isinstance(node, LookupNode)
        key = result if result in node.results else "error"
        self._path.append(f"{self._node_name}:{key}")
        self._lookup_result = key
        if key != "error":
            self._served = True
        self._state = State.RESULT
        return Play(node.results[key], self.language)

    # --- endings and bookkeeping -------------------------------------------------------------

    def _to_operator(self) -> Action:
        topic = self._menu.operator_topic
        return self._to_queue(topic if topic is not None else self._config.queues[0].topic)

    def _to_queue(self, topic: str, priority: int | None = None) -> Action:
        if not self._open_now:
            # Nobody is on duty now; the caller has heard the hours.
            return self._finish("closed", "outside opening hours; wanted an operator")
        self.topic = topic
        queue = self._config.queue_for_topic(topic, self.language)
        if queue is None:
            # Unreachable for a validated config (cross_check demands a default-language
            # queue for every menu topic); still better an operator than a dropped call.
            queue = self._config.queues[0]
        chosen = queue.priority if priority is None else priority
        return self._end(Enqueue(queue.id, topic, self.language, chosen))

    def _callback(self) -> Action:
        node = self.node
        assert isinstance(node, CallbackNode)
        self.topic = node.topic
        queue = self._config.queue_for_topic(node.topic, self.language) or self._config.queues[0]
        return self._end(Callback(queue.id, node.topic, self.language, queue.priority))

    def _hung_up(self) -> Action:
        where = self.where
        if not self._open_now and not self._served:
            # Nobody could have served this call: it counts as closed, not abandoned,
            # whether or not the caller heard the whole message.
            return self._finish("closed", f"outside opening hours; hung up at {where}")
        if self._served:
            return self._finish("self_served", f"hung up after the self-service answer ({where})")
        return self._finish("abandoned", f"caller hung up at {where} ({self._state.value})")

    def _goodbye_outcome(self) -> Outcome:
        """A hangup node's outcome: self-served if a look-up answered, or if the menu had
        nothing to look up (an announcement then goodbye); not after a look-up that could
        not answer (the caller was not served: abandoned in the menu)."""
        if self._served:
            return "self_served"
        if not self._open_now:
            return "closed"
        return "abandoned" if self._lookup_result == "error" else "self_served"

    def _finish(self, outcome: Outcome, reason: str) -> Action:
        return self._end(Finish(outcome, reason, self.where))

    def _end(self, action: Action) -> Action:
        self._state = State.DONE
        self._terminal = action
        return action

    def _may_repeat(self) -> bool:
        self._repeats += 1
        return self._repeats <= MAX_REPEATS

    def _next_step(self) -> None:
        self._failures = 0
        self._repeats = 0

    def _restart_step(self) -> Action:
        # start() called again mid-call: ask the outstanding question again.
        if self._state in (State.LANGUAGE, State.LANGUAGE_RETRY):
            return self._ask_language()
        if self._state is State.CLOSED:
            return self._play_closed()
        if self._state in (State.MENU, State.MENU_RETRY):
            return self._ask()
        return self._enter(self._node_name)


def _digits(event: Event) -> str:
    return event.digits if isinstance(event, DigitsEntered) else ""


def _valid_entry(node: CollectNode, digits: str) -> bool:
    if not digits.isdigit() or not node.min_digits <= len(digits) <= node.max_digits:
        return False
    return node.validator != "iin" or validate_iin(digits).reason is None

"""The IVR menu as a pure state machine: events in, actions out, no I/O.

A call goes: language choice -> greeting (if any) -> the start menu node -> a queue.
Outside the opening hours (`open_now=False`, decided by the driver with `hotline.shifts.is_open`)
it goes: language choice -> the hotline's closed prompt (it says the hours) -> Finish("closed").
Every state change is in `IvrMachine.handle`; the helpers below it only build actions.

    LANGUAGE --digit--> GREETING --PlayFinished--> MENU --digit--> Enqueue
       |  ^ wrong digit                             |  ^ wrong digit
       v  | (PlayFinished)                          v  | (PlayFinished)
    LANGUAGE_RETRY                                MENU_RETRY
    silence / wrong digit after the last try: default language / the node's default topic.
    CallerHungUp anywhere: Finish("abandoned"); outside the opening hours Finish("closed").

    closed:  LANGUAGE --digit--> CLOSED --PlayFinished or a key--> Finish("closed")
                                   ^ '*' (repeat)

    emergency (`emergency=True` and `menu.emergency` configured): LANGUAGE --digit-->
    ANNOUNCEMENT --PlayFinished--> MENU at `menu.emergency.node` (no greeting); a key during
    the announcement answers that node, as during the greeting.

Rules that keep a caller from being dropped or stuck:
- every wrong digit or silence uses a try; after the last try the caller moves on (to the
  default language, or to the node's `default_topic` queue: a person);
- '*' repeats the prompt without using a try, at most `MAX_REPEATS` times per step, then it
  counts as a wrong digit;
- an event that does not fit the outstanding action (a `PlayFinished` answering a
  `CollectDigits`, a `NoInput` answering a `Play`) is read as the nearest fitting one, so a
  confused driver still moves the caller on rather than making the machine raise.
"""

from __future__ import annotations

from enum import Enum

from hotline.config.schema import ChoiceNode, HotlineConfig
from hotline.ivr.actions import Action, CollectDigits, Enqueue, Finish, Outcome, Play
from hotline.ivr.events import CallerHungUp, DigitsEntered, Event

# The language menu's digits are the same on every hotline, whatever the order of its
# languages: 1 Kazakh, 2 Russian, 3 English.
LANGUAGE_DIGITS: dict[str, str] = {"1": "kk", "2": "ru", "3": "en"}
REPEAT_DIGIT = "*"
MAX_REPEATS = 5


class State(Enum):
    NEW = "new"
    LANGUAGE = "language"  # CollectDigits(language prompt) outstanding
    LANGUAGE_RETRY = "language-retry"  # Play(invalid choice) outstanding, then ask again
    GREETING = "greeting"  # Play(greeting) outstanding
    ANNOUNCEMENT = "announcement"  # Play(emergency announcement) outstanding
    MENU = "menu"  # CollectDigits(node prompt) outstanding
    MENU_RETRY = "menu-retry"  # Play(invalid choice) outstanding, then ask again
    CLOSED = "closed"  # Play(closed prompt: the opening hours) outstanding, then Finish
    DONE = "done"  # a terminal action was given


class IvrMachine:
    """One caller's way through a hotline's menu."""

    def __init__(
        self, config: HotlineConfig, open_now: bool = True, emergency: bool = False
    ) -> None:
        """`open_now`: whether the call came within the opening hours (the driver asks
        `hotline.shifts.is_open`); when not, the caller hears the hours and the call ends.
        `emergency`: the hotline's mode is emergency (the driver reads it from Redis); it
        only counts when the menu has an `emergency` section."""
        self._config = config
        self._open_now = open_now
        self._menu = config.menu
        self._emergency = config.menu.emergency if emergency else None
        self._node_name = self._emergency.node if self._emergency is not None else config.menu.start
        self._state = State.NEW
        self._failures = 0  # wrong digits and silences at the current step
        self._repeats = 0  # '*' presses at the current step
        self._terminal: Action | None = None
        self.language: str = config.default_language
        self.topic: str | None = None
        self._path: list[str] = []

    @property
    def state(self) -> State:
        return self._state

    @property
    def path(self) -> tuple[str, ...]:
        """The choices made, e.g. ("language:ru", "main:1"); "...:default" when none was."""
        return tuple(self._path)

    @property
    def open_now(self) -> bool:
        return self._open_now

    @property
    def emergency(self) -> bool:
        """Whether this call takes the emergency path (the mode and a configured section)."""
        return self._emergency is not None

    @property
    def node(self) -> ChoiceNode:
        return self._menu.nodes[self._node_name]

    def start(self) -> Action:
        """The first action of the call."""
        if self._state is not State.NEW:
            return self._terminal if self._terminal is not None else self._restart_step()
        if len(self._config.languages) == 1:
            return self._after_language()
        return self._ask_language()

    def handle(self, event: Event) -> Action:
        """The next action after `event`. Never raises; terminal actions repeat once given."""
        match self._state, event:
            case State.DONE, _:
                assert self._terminal is not None
                return self._terminal
            case _, CallerHungUp() if not self._open_now:
                # Nobody could have served this call: it counts as closed, not abandoned,
                # whether or not the caller heard the whole message.
                return self._finish(
                    "closed", f"outside opening hours; hung up ({self._state.value})"
                )
            case _, CallerHungUp():
                return self._finish("abandoned", f"caller hung up ({self._state.value})")
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
                # Played to the end, or a key cut it short: either way the call is over.
                return self._finish("closed", "outside opening hours")
            case (
                State.GREETING | State.ANNOUNCEMENT | State.MENU | State.MENU_RETRY,
                DigitsEntered(digits=digits),
            ) if digits:
                # A key during the greeting, the emergency announcement or the invalid-choice
                # prompt answers the menu.
                return self._menu_digits(digits)
            case State.MENU, _:
                return self._menu_failed(wrong_digit=False)
            case _:  # GREETING, ANNOUNCEMENT or MENU_RETRY played to the end
                return self._ask_menu()

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
            return self._ask_language()
        language = LANGUAGE_DIGITS.get(digits)
        if language is None or language not in self._config.languages:
            return self._language_failed(wrong_digit=True)
        self.language = language
        self._path.append(f"language:{language}")
        return self._after_language()

    def _language_failed(self, *, wrong_digit: bool) -> Action:
        self._failures += 1
        if self._failures >= self._menu.language_tries:
            self.language = self._config.default_language
            self._path.append("language:default")
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
        return self._ask_menu()

    def _play_closed(self) -> Action:
        self._state = State.CLOSED
        return Play(self._config.closed_prompt, self.language)

    # --- menu nodes --------------------------------------------------------------------------

    def _ask_menu(self) -> Action:
        self._state = State.MENU
        node = self.node
        return CollectDigits(
            prompt=node.prompt, language=self.language, max_digits=1, timeout_s=node.timeout_s
        )

    def _menu_digits(self, digits: str) -> Action:
        if digits == REPEAT_DIGIT and self._may_repeat():
            return self._ask_menu()
        option = self.node.options.get(digits)
        if option is None:
            return self._menu_failed(wrong_digit=True)
        self._path.append(f"{self._node_name}:{digits}")
        return self._enqueue(option.queue_topic)

    def _menu_failed(self, *, wrong_digit: bool) -> Action:
        self._failures += 1
        if self._failures >= self.node.tries:
            # Out of tries: a person sorts it out, the caller is never dropped.
            self._path.append(f"{self._node_name}:default")
            return self._enqueue(self.node.default_topic)
        if wrong_digit:
            self._state = State.MENU_RETRY
            return Play(self._menu.invalid_prompt, self.language)
        return self._ask_menu()

    # --- endings and bookkeeping -------------------------------------------------------------

    def _enqueue(self, topic: str) -> Action:
        self.topic = topic
        queue = self._config.queue_for_topic(topic, self.language)
        if queue is None:
            # Unreachable for a validated config (cross_check demands a default-language
            # queue for every menu topic); still better an operator than a dropped call.
            queue = self._config.queues[0]
        return self._end(Enqueue(queue.id, topic, self.language, queue.priority))

    def _finish(self, outcome: Outcome, reason: str) -> Action:
        return self._end(Finish(outcome, reason))

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
        return self._ask_menu()

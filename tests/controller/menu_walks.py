"""Walking the shipped menus through the simulator: shared by the FastAGI and classic AGI
path-coverage tests.

For a hotline, a mode (open, closed, emergency) and a language, `hotline.ivr.branches` plans
the shortest key sequences that take every branch; each is replayed as a simulated caller,
and the call records' `ivr_path` must (a) begin with the path the pure machine took for that
walk, and (b) together cover every branch of `menu_branches`. Callers who reach a queue give
up after a second on hold: no operator is present, the record is what counts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from hotline.config import HotlineConfig, find_hotline, load_hotline
from hotline.controller.callers import DemoData, seed_demo_data
from hotline.ivr.actions import CollectDigits, Finish, Lookup, Play
from hotline.ivr.branches import Entry, Walk, hangup_points, menu_branches, plan_walks
from hotline.ivr.events import CallerHungUp, DigitsEntered, LookupDone, NoInput, PlayFinished
from hotline.ivr.iin import IinHasher
from hotline.ivr.machine import IvrMachine
from hotline.queue.mode import EMERGENCY, set_mode
from hotline.records import CallRecord
from hotline.sim import SimCall, SimCaller
from tests.controller.conftest import ALMATY, Rig, RigFactory

IIN_KEY = bytes(range(32))
_GENERATED = DemoData.generate(random.Random(7), size=20)
# A status the 109 menu has no prompt for: it plays the look-up's `error` prompt.
DEMO = dataclasses.replace(_GENERATED, requests={**_GENERATED.requests, "777777": "archived"})
LANGUAGES = ("kk", "ru")


@dataclass(frozen=True)
class Mode:
    name: str
    open_now: bool = True
    emergency: bool = False
    hour: int = 10


OPEN = Mode("open")
CLOSED = Mode("closed", open_now=False, hour=22)
EMERGENCY_MODE = Mode("emergency", emergency=True)


def shipped(hotline_id: str) -> HotlineConfig:
    return load_hotline(find_hotline(hotline_id))


def modes(config: HotlineConfig) -> list[Mode]:
    found = [OPEN]
    if config.may_close:
        found.append(CLOSED)
    if config.menu.emergency is not None:
        found.append(EMERGENCY_MODE)
    return found


def entries(with_key: bool) -> dict[str, list[Entry]]:
    """What the walks type at the shipped collect nodes, and the look-up result it gives."""
    listed, unlisted = DEMO.listed_iins[0], DEMO.unlisted_iins[0]
    typo = unlisted[:-1] + str((int(unlisted[-1]) + 1) % 10)
    if with_key:
        iins = [Entry(listed, "found"), Entry(unlisted, "not_found")]
    else:
        iins = [Entry(listed, "error")]  # no IIN key: the look-up cannot hash the number
    by_status = {status: number for number, status in DEMO.requests.items()}
    requests = [Entry(f"{number}#", status) for status, number in sorted(by_status.items())]
    requests.append(Entry("999999#", "not_found"))
    return {
        "iin": [*iins, Entry(typo, ""), Entry("123#", "")],
        "request": requests,
    }


def start_at(mode: Mode) -> float:
    return datetime(2026, 11, 20, mode.hour, 0, tzinfo=ALMATY).timestamp()


async def walk_rig(
    make_rig: RigFactory, config: HotlineConfig, mode: Mode, *, with_key: bool, **options: object
) -> Rig:
    if options.get("classic"):
        options.setdefault("speed", CLASSIC_SPEED)
    rig = await make_rig(
        hotline=config,
        start=start_at(mode),
        iin_key=IIN_KEY if with_key else None,
        **options,  # type: ignore[arg-type]
    )
    await asyncio.to_thread(
        seed_demo_data,
        rig.controller.store.engine,
        config,
        DEMO,
        IinHasher(IIN_KEY),
        rig.controller.settings.data_dir,
    )
    if mode.emergency:
        await set_mode(rig.controller.redis, config.id, EMERGENCY)
    return rig


# Each classic AGI call starts a Python process (about 0.25 s of CPU to load the
# configuration): a few at a time, on a slower clock, keep the 2-core machine responsive.
CLASSIC_AT_ONCE = 4
CLASSIC_SPEED = 20.0


async def replay(
    rig: Rig, callers: list[SimCaller], at_once: int | None = None
) -> list[CallRecord]:
    """Place the callers (all at once, or `at_once` at a time); the record of each, in order."""
    limit = asyncio.Semaphore(at_once or len(callers) or 1)

    async def one(caller: SimCaller) -> SimCall:
        async with limit:
            call = await rig.call(caller)
            await call.ended
            return call

    calls = await rig.within(asyncio.gather(*(one(caller) for caller in callers)), 3600.0)
    ours = rig.controller.call_ids  # several rigs may share the database
    records = {r.uniqueid: r for r in await rig.settle() if r.call_id in ours}
    missing = [call.uniqueid for call in calls if call.uniqueid not in records]
    assert not missing, f"no record for {len(missing)} of {len(calls)} calls"
    return [records[call.uniqueid] for call in calls]


def walker(walk: Walk) -> SimCaller:
    return SimCaller(digits=list(walk.entries), think_s=0.3, patience_s=1.0)


def path_of(record: CallRecord) -> list[str]:
    return [step for step in (record.ivr_path or "").split(",") if step]


async def walk_every_branch(
    make_rig: RigFactory,
    hotline_id: str,
    languages: tuple[str, ...] = LANGUAGES,
    **options: object,
) -> dict[str, set[str]]:
    """Replay every planned walk of the hotline in every mode and each of `languages`; the
    branches the records took, by language. Checks each record against its walk's planned
    path."""
    config = shipped(hotline_id)
    taken: dict[str, set[str]] = {language: set() for language in languages}
    for mode in modes(config):
        for with_key in (True, False) if _has_iin_lookup(config) and mode.open_now else (True,):
            rig = await walk_rig(make_rig, config, mode, with_key=with_key, **options)
            for language in languages:
                walks = plan_walks(
                    config,
                    entries(with_key),
                    open_now=mode.open_now,
                    emergency=mode.emergency,
                    language=language,
                )
                records = await replay(rig, [walker(walk) for walk in walks], _at_once(options))
                for walk, record in zip(walks, records, strict=True):
                    path = path_of(record)
                    assert path[: len(walk.path)] == list(walk.path), (
                        f"{hotline_id} {mode.name}: keys {walk.entries} planned "
                        f"{walk.path}, recorded {path}"
                    )
                    taken[language] |= set(path)
    return taken


def _at_once(options: Mapping[str, object]) -> int | None:
    return CLASSIC_AT_ONCE if options.get("classic") else None


def expected_branches(config: HotlineConfig, language: str) -> set[str]:
    others = {f"language:{other}" for other in config.languages if other != language}
    return menu_branches(config) - others


def _has_iin_lookup(config: HotlineConfig) -> bool:
    return any(
        getattr(node, "service", None) == "recipients_list" for node in config.menu.nodes.values()
    )


def expected_hangup(
    config: HotlineConfig, mode: Mode, keys: tuple[str, ...], lookups: Mapping[str, str]
) -> Finish:
    """The pure machine's ending when the caller hangs up after `keys`."""
    machine = IvrMachine(config, open_now=mode.open_now, emergency=mode.emergency)
    action = machine.start()
    for typed in keys:
        if isinstance(action, CollectDigits):
            action = machine.handle(DigitsEntered(typed.rstrip("#")) if typed else NoInput())
        elif isinstance(action, Play):
            action = machine.handle(DigitsEntered(typed[0]) if typed else PlayFinished())
        while isinstance(action, Lookup):
            action = machine.handle(LookupDone(lookups.get(action.value, "error")))
    ending = machine.handle(CallerHungUp())
    assert isinstance(ending, Finish)
    return ending


async def hang_up_everywhere(make_rig: RigFactory, hotline_id: str, **options: object) -> set[str]:
    """Hang up at every place of the menu, in every mode; check each record's outcome and
    node against the pure machine's. The places visited."""
    config = shipped(hotline_id)
    lookups = {
        entry.digits.rstrip("#"): entry.result
        for group in entries(True).values()
        for entry in group
    }
    visited: set[str] = set()
    for mode in modes(config):
        rig = await walk_rig(make_rig, config, mode, with_key=True, **options)
        points = {
            (language, where): keys
            for language in LANGUAGES
            for where, keys in hangup_points(
                config,
                entries(True),
                open_now=mode.open_now,
                emergency=mode.emergency,
                language=language,
            ).items()
        }
        callers = [
            SimCaller(digits=list(keys), think_s=0.3, patience_s=60.0, hangup_at=len(keys))
            for keys in points.values()
        ]
        records = await replay(rig, callers, _at_once(options))
        for ((language, where), keys), record in zip(points.items(), records, strict=True):
            ending = expected_hangup(config, mode, keys, lookups)
            assert ending.node == where
            assert (str(record.outcome), record.ivr_node) == (ending.outcome, where), (
                f"{hotline_id} {mode.name} {language}: hung up at {where} after {keys}"
            )
            visited.add(where)
    return visited

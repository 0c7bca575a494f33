"""The web process's view of the leaderboards: built from the store, rebuilt only when it changes.

Nine boards of at most 533 districts are cheap to rank, but not per request: a background thread
asks the store every `interval_s` for the change counter (one keyed read) and rebuilds the view when
it moved or the Bangkok day turned. Requests read the current view and never wait for the store;
serialised bodies are cached per view, so a repeated read is a dictionary lookup.

A moved counter is followed by reading the changes it counted (one keyed read each, the few districts
a batch changed), not all 878 figures: on FerretDB v1 that full read costs ~0.4 s of CPU and would run
several times a second while votes flow. Everything is read again only at start, on a new day, after a
daily snapshot, when too many changes are pending, or when one stays missing (its writer died between
counting and logging it).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pymongo.errors import PyMongoError

from services.ranking import web_metrics
from services.ranking.awards import built_from, topic_of
from services.ranking.boards import BoardKey, build_boards, snapshot_id
from services.ranking.domain import GROUPS, Entry
from services.ranking.formulas import Formula
from services.ranking.store import RankingStore
from services.ranking.stories import newest_first
from shared.districts import Registry
from shared.timeutil import bangkok_day

log = logging.getLogger(__name__)


@dataclass
class View:
    version: int
    day: date
    formula: Formula
    figures: dict[str, dict]
    boards: dict[BoardKey, list[Entry]]
    as_of: dict[str, str | None]  # group -> the newest standing's as_of among its districts
    previous: dict[BoardKey, dict[str, int | None]]  # yesterday's closing ranks
    history: dict[BoardKey, dict[str, list[dict]]]  # code -> [{day, rank}] over the snapshots kept
    closes: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)  # code -> day -> campaign (votes, sum)
    close_days: frozenset[str] = frozenset()  # days whose campaign closes were kept (a code absent: no votes)
    awards: list[dict] = field(default_factory=list)  # closed awards, newest first (see award_summary)
    updated_at: datetime | None = None  # when the consumer last changed a figure
    stories: tuple[dict, ...] = ()  # the published stories of service, newest first (services/ranking/stories.py)
    index: dict[BoardKey, dict[str, Entry]] = field(default_factory=dict)
    bodies: dict[tuple, tuple[bytes, str]] = field(default_factory=dict)  # cached responses of this view

    def __post_init__(self) -> None:
        self.index = {key: {e.code: e for e in entries} for key, entries in self.boards.items()}


@dataclass(frozen=True)
class Snapshots:
    """Yesterday's closing ranks and the rank history, read again only when a new snapshot is noted."""

    snapshot_day: str | None
    today: date
    previous: dict[BoardKey, dict[str, int | None]]
    history: dict[BoardKey, dict[str, list[dict]]]
    closes: dict[str, dict[str, tuple[int, int]]]
    close_days: frozenset[str]


AWARD_PLACES = 3  # the podium the public site shows per group


def award_summary(doc: dict) -> dict:
    """A stored award as the site shows it: its frozen choices, hash, and each group's podium."""
    body = json.loads(doc["canonical"])
    podium = {g: [e for e in entries if e["rank"] is not None and e["rank"] <= AWARD_PLACES]
              for g, entries in body["groups"].items()}
    return {"name": body["award"], "sha256": doc["sha256"], "closed_at": body["closed_at"], "day": body["day"],
            "window": body["window"], "formula": body["formula"], "campaign": body["campaign"],
            # The log the award was built from and whose offsets these are (ballots.v1, or votes.v1 for older ones).
            "built_from": built_from(body), "topic": topic_of(body), "end_offsets": body["end_offsets"],
            "podium": podium,
            "entrants": {g: len(entries) for g, entries in body["groups"].items()},
            "withdrawn": doc.get("withdrawn")}  # a mistaken close, kept: {"at", "reason"}


def load_awards(store: RankingStore) -> list[dict]:
    return sorted((award_summary(d) for d in store.all_awards()), key=lambda a: a["closed_at"], reverse=True)


def load_snapshots(store: RankingStore, today: date, snapshot_day: str | None) -> Snapshots:
    yesterday = (today - timedelta(days=1)).isoformat()
    previous: dict[BoardKey, dict[str, int | None]] = {}
    history: dict[BoardKey, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    closes: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    close_days: set[str] = set()
    for snap in sorted(store.all_snapshots(), key=lambda s: s["day"]):
        if "tallies" in snap:
            close_days.add(snap["day"])
        for code, (votes, total) in (snap.get("tallies") or {}).items():
            closes[code][snap["day"]] = (votes, total)
        key = (snap["group"], snap["window"])
        if snap["_id"] == snapshot_id(yesterday, *key):
            previous[key] = snap["ranks"]
        for code, rank in snap["ranks"].items():
            history[key][code].append({"day": snap["day"], "rank": rank})
    return Snapshots(snapshot_day, today, previous, history, closes, frozenset(close_days))


MAX_PENDING_CHANGES = 100  # beyond this many changes to read, one full read is cheaper
MISSING_CHANGE_GRACE_S = 2.0  # a counted change not logged after this long will never be: read everything


def build_view(registry: Registry, formula: Formula, figures: dict[str, dict], today: date, version: int,
               snapshots: Snapshots, awards: list[dict] | None = None, updated_at: datetime | None = None,
               stories: tuple[dict, ...] = ()) -> View:
    boards = build_boards(figures, registry, formula)
    as_of: dict[str, str | None] = {}
    for group in GROUPS:
        stamps = [figures[c]["as_of"] for c in (d.code for d in registry if d.size_group == group) if c in figures]
        as_of[group] = max(stamps) if stamps else None
    return View(version, today, formula, figures, boards, as_of, snapshots.previous, snapshots.history,
                snapshots.closes, snapshots.close_days, awards or [], updated_at, stories)


class LiveBoards:
    def __init__(self, store: RankingStore, registry: Registry, formula: Formula, *,
                 clock: Callable[[], datetime], interval_s: float):
        self.store = store
        self.registry = registry
        self.formula = formula
        self.clock = clock
        self.interval_s = interval_s
        self._view: View | None = None
        self._snapshots: Snapshots | None = None
        self._lock = threading.Lock()
        self._thread_pid: int | None = None
        self._confirmed_at = 0.0
        self._missing_since: float | None = None
        self._awards: tuple[int, list[dict]] | None = None  # (the state's awards counter, the list)
        self._stories: tuple[int, tuple[dict, ...]] | None = None  # (the state's stories counter, the stories)

    def view(self) -> View:
        """The current view; the first call in a process loads it and starts the refresher."""
        if self._thread_pid != os.getpid():  # after gunicorn forks, each worker runs its own refresher
            with self._lock:
                if self._thread_pid != os.getpid():
                    self._thread_pid = os.getpid()
                    threading.Thread(target=self._run, name="ranking-refresh", daemon=True).start()
        if self._view is None:
            self.refresh()
        assert self._view is not None
        return self._view

    def refresh(self) -> bool:
        """Bring the view up to the store's change counter (and the Bangkok day); True if it changed."""
        with self._lock:
            state = self.store.read_state()
            today = bangkok_day(self.clock())
            version = int(state.get("version", 0))
            current = self._view
            self._confirmed_at = time.monotonic()
            if current is not None and current.version == version and current.day == today:
                return False
            snapshot_day = state.get("snapshot_day")
            if current is not None and current.day == today and current.version < version \
                    and self._snapshots is not None and self._snapshots.snapshot_day == snapshot_day:
                applied = self._apply_changes(current, version, state.get("updated_at"), int(state.get("stories", 0)))
                if applied is not None:
                    self._view = applied
                    return applied is not current
            # Snapshots are many and change once a day: read them again only when a new one is noted.
            held = self._snapshots
            if held is None or held.snapshot_day != snapshot_day or held.today != today:
                self._snapshots = held = load_snapshots(self.store, today, snapshot_day)
            counter = int(state.get("awards", 0))
            if self._awards is None or self._awards[0] != counter:
                self._awards = (counter, load_awards(self.store))
            told = int(state.get("stories", 0))
            if self._stories is None or self._stories[0] != told:
                self._stories = (told, newest_first(self.store.all_stories()))
            self._view = build_view(self.registry, self.formula, self.store.all_figures(), today, version, held,
                                    self._awards[1], state.get("updated_at"), self._stories[1])
            self._missing_since = None
            return True

    def _apply_changes(self, current: View, version: int, updated_at: datetime | None = None,
                       stories_counter: int = 0) -> View | None:
        """The view with the logged changes after `current.version` applied; None if a full read is due.

        Changes apply in version order, contiguously; a district's figure is replaced only by a newer
        order key (two consumers may count their batches in the other order than they wrote them).
        """
        if version - current.version > MAX_PENDING_CHANGES:
            return None
        figures: dict[str, dict] | None = None
        reached = current.version
        while reached < version:
            change = self.store.change(reached + 1)
            if change is None:
                now = time.monotonic()
                self._missing_since = self._missing_since or now
                if now - self._missing_since > MISSING_CHANGE_GRACE_S:
                    return None
                break
            if change.get("reload"):
                return None
            self._missing_since = None
            figures = figures if figures is not None else dict(current.figures)
            if change.get("stories"):  # stories published or withdrawn: read them again (a few hundred at most)
                self._stories = (stories_counter, newest_first(self.store.all_stories()))
                reached += 1
                continue
            for code, doc in change["figures"].items():
                held = figures.get(code)
                if held is None or doc["k"] > held["k"]:
                    figures[code] = doc
            reached += 1
        if figures is None:
            return current
        assert self._snapshots is not None
        stories = self._stories[1] if self._stories is not None else current.stories
        return build_view(self.registry, self.formula, figures, current.day, reached, self._snapshots,
                          current.awards, updated_at, stories)

    def age_s(self) -> float:
        return time.monotonic() - self._confirmed_at if self._confirmed_at else float("inf")

    def _run(self) -> None:
        # Once the main thread has ended the interpreter is exiting and its store clients are closing: a
        # refresh failing then is our own shutdown, not the store's fault, and is not worth a warning.
        while _serving():
            time.sleep(self.interval_s)
            try:
                self.refresh()
            except PyMongoError as exc:  # keep serving the last view; /readyz and the age metric tell
                if not _serving():
                    return
                log.warning("leaderboard refresh failed", extra={"error": repr(exc)[:300]})
            web_metrics.LEADERBOARD_AGE.set(self.age_s())


def _serving() -> bool:
    return threading.main_thread().is_alive()

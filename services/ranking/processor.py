"""Applies a batch of scores.v1 records: keep each district's newest standing, snapshot at midnight.

The processor is free of Kafka-loop code: the stream runtime calls `handle(records)` with a polled
batch, `forget()` on a rebalance or failure and `tick(now, assigned)` for time-driven work. Every
step is safe to repeat: a standing is stored only if it orders after the stored one (see
`domain.order_key`), and snapshots are plain inserts under a fixed `_id`, so a batch replayed after
a crash changes nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from services.ranking.boards import build_boards, snapshot_id
from services.ranking.domain import GROUPS, WINDOWS, closing_tallies, order_key, ranks_of
from services.ranking.formulas import Formula
from services.ranking.store import RankingStore
from services.ranking.stories import apply_stories
from shared.districts import Registry
from shared.events import EventError, ScoresEvent, decode
from shared.stream.ports import Record
from shared.timeutil import bangkok_day, iso_utc

log = logging.getLogger(__name__)


@dataclass
class RankingReport:
    applied: int = 0
    stale: int = 0
    invalid: int = 0
    snapshots: int = 0
    stories: int = 0  # stories.published.v1 records applied (published or withdrawn)
    # When scoring computed each standing stored (its `as_of`): ranking's part of vote-to-leaderboard freshness.
    applied_as_of: list[datetime] = field(default_factory=list)


@dataclass(frozen=True)
class FiguresUpdate:
    code: str
    key: str
    day: str
    doc: dict
    as_of: datetime


class RankingProcessor:
    """`writers`: a batch's districts are written side by side. Each is one keyed conditional update,
    but a round trip to FerretDB/PostgreSQL costs ~10 ms of waiting on a busy machine, so a batch of
    300 districts written one after another took 3 s, most of the vote-to-leaderboard time."""

    def __init__(self, store: RankingStore, registry: Registry, formula: Formula, *,
                 clock: Callable[[], datetime], writers: int = 8):
        self.store = store
        self._writers = ThreadPoolExecutor(max_workers=writers, thread_name_prefix="ranking-writer")
        self.registry = registry
        self.formula = formula
        self.clock = clock
        self.snapshotted_through: date | None = None
        self.stories_topic: str | None = None  # stories.published.v1, read by the same member (issue 21)
        self.forget()

    def forget(self) -> None:
        """Drop the cached order keys: after a rebalance another consumer may have written figures."""
        self._keys: dict[str, str] | None = None

    # ------------------------------------------------------------------ the batch

    def handle(self, records: Iterable[Record]) -> RankingReport:
        report = RankingReport()
        if self.stories_topic is not None:
            records = list(records)
            report.stories, report.invalid = apply_stories(
                self.store, [r for r in records if getattr(r, "topic", None) == self.stories_topic])
            records = [r for r in records if getattr(r, "topic", None) != self.stories_topic]
        newest: dict[str, FiguresUpdate] = {}
        for record in records:
            standing = self._parse(record)
            if standing is None:
                report.invalid += 1
                continue
            held = newest.get(standing.code)
            if held is None or standing.key > held.key:
                if held is not None:
                    report.stale += 1
                newest[standing.code] = standing
            else:
                report.stale += 1
        if not newest:
            return report
        # A standing of a new Bangkok day means scoring has moved its windows: yesterday's ranks close first.
        latest_day = max(date.fromisoformat(s.day) for s in newest.values())
        report.snapshots = self._snapshot_through(max(latest_day, bangkok_day(self.clock())) - timedelta(days=1))
        keys = self._cached_keys()
        applied: dict[str, dict] = {}
        todo = [s for code, s in sorted(newest.items()) if code not in keys or s.key > keys[code]]
        report.stale += len(newest) - len(todo)
        written = self._writers.map(lambda s: self.store.put_if_newer(s.code, s.key, s.doc), todo)
        for standing, stored in zip(todo, written, strict=True):  # a write that failed raises here: batch retried
            if stored:
                keys[standing.code] = standing.key
                applied[standing.code] = {"k": standing.key, **standing.doc}
                report.applied_as_of.append(standing.as_of)
            else:
                report.stale += 1
                keys[standing.code] = self.store.key_of(standing.code) or standing.key
        report.applied = len(applied)
        if applied:  # after the figures: a web process that reads the change finds them stored
            self.store.record_change(applied, self.clock())
        return report

    def tick(self, now: datetime, assigned: object = None) -> RankingReport | None:
        """Time-driven work: at the first tick of a Bangkok day, snapshot the day that ended.

        Cheap when nothing is due (a date comparison); None then, as the stream runtime expects.
        """
        day = bangkok_day(now) - timedelta(days=1)
        if self.snapshotted_through is not None and self.snapshotted_through >= day:
            return None
        return RankingReport(snapshots=self._snapshot_through(day))

    # ------------------------------------------------------------------ steps

    def _parse(self, record: Record) -> FiguresUpdate | None:
        try:
            event = decode(ScoresEvent, record.value)
            if event.district_code not in self.registry:
                raise EventError(f"unknown district {event.district_code}")
            date.fromisoformat(event.day)
        except (EventError, ValueError) as exc:
            log.warning("scores.v1 record ignored", extra={"partition": record.partition, "offset": record.offset,
                                                           "reason": str(exc)[:300]})
            return None
        as_of = iso_utc(event.as_of)
        key = order_key(event.votes_offset, event.day, as_of)
        doc = {"day": event.day, "as_of": as_of, "votes_offset": event.votes_offset,
               "windows": {name: event.windows[name] for name in WINDOWS.values() if name in event.windows}}
        return FiguresUpdate(event.district_code, key, event.day, doc, event.as_of)

    def _cached_keys(self) -> dict[str, str]:
        if self._keys is None:
            self._keys = self.store.keys()
        return self._keys

    def _snapshot_through(self, day: date) -> int:
        """Take the closing snapshot of `day` (nine boards) unless it exists; returns how many were written."""
        if self.snapshotted_through is not None and self.snapshotted_through >= day:
            return 0
        label = day.isoformat()
        wanted = {snapshot_id(label, g, w): (g, w) for g in GROUPS for w in WINDOWS}
        missing = set(wanted) - self.store.snapshot_ids(wanted)
        written = 0
        if missing:
            boards = build_boards(self.store.all_figures(), self.registry, self.formula)
            taken_at = iso_utc(self.clock())
            for sid in sorted(missing):
                group, window = wanted[sid]
                doc = {"_id": sid, "day": label, "group": group, "window": window, "taken_at": taken_at,
                       "formula": self.formula.to_json(), "ranks": ranks_of(boards[(group, window)])}
                if window == "campaign":  # the day's closing totals: the public site's daily trend
                    doc["tallies"] = closing_tallies(boards[(group, window)])
                written += self.store.insert_snapshot(doc)
            self.store.note_snapshot(label)
            log.info("daily snapshot taken", extra={"day": label, "written": written})
        self.snapshotted_through = day
        return written

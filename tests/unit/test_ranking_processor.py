"""The scores.v1 processor: newest standing wins, stale and invalid records change nothing, midnight snapshots."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from services.ranking.formulas import Formula
from services.ranking.processor import RankingProcessor
from shared.districts import load_registry
from tests.support.ranking_fakes import MemoryRankingStore

REGISTRY = load_registry()
SMALL = sorted(d.code for d in REGISTRY if d.size_group == "small")[:3]
DAY1 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # 17:00 in Bangkok, 20 November
DAY2 = datetime(2026, 11, 20, 17, 5, tzinfo=UTC)  # 00:05 in Bangkok, 21 November


@dataclass
class Rec:
    value: bytes | None
    topic: str = "scores.v1"
    partition: int = 0
    offset: int = 0


def event(code: str, votes: int, total: int, *, offset: int | None, day: str = "2026-11-20",
          as_of: str = "2026-11-20T10:00:00.000Z") -> Rec:
    window = {"from": None, "to": None, "votes": votes, "sum": total, "mean": round(total / votes, 4) if votes else 0,
              "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}, "last_vote_at": None}
    body = {"schema": "scores.v1", "district_code": code, "day": day, "as_of": as_of,
            "windows": {"campaign": window, "last_7_days": window, "last_30_days": window},
            "latest_comments": [{"vote_id": "x", "score": 5, "comment": "ดีมาก", "at": as_of}]}
    if offset is not None:
        body["votes_offset"] = offset
    return Rec(json.dumps(body).encode())


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def setup():
    store = MemoryRankingStore()
    clock = Clock(DAY1)
    return store, clock, RankingProcessor(store, REGISTRY, Formula("mean", {"min_votes": 1}), clock=clock)


def test_newer_standing_replaces_and_a_stale_one_changes_nothing(setup):
    store, _, proc = setup
    a = SMALL[0]
    assert proc.handle([event(a, 10, 40, offset=9)]).applied == 1
    report = proc.handle([event(a, 5, 25, offset=4)])  # older offset, arrives late
    assert (report.applied, report.stale) == (0, 1)
    assert store.figures[a]["windows"]["campaign"]["votes"] == 10
    assert proc.handle([event(a, 10, 40, offset=9)]).stale == 1  # redelivered duplicate
    assert store.writes == 1
    assert proc.handle([event(a, 11, 45, offset=12)]).applied == 1
    assert store.figures[a]["windows"]["campaign"]["votes"] == 11


def test_a_batch_keeps_only_the_newest_standing_per_district(setup):
    store, _, proc = setup
    a, b = SMALL[:2]
    report = proc.handle([event(a, 3, 12, offset=3), event(b, 1, 5, offset=7), event(a, 2, 8, offset=2),
                          event(a, 4, 16, offset=5)])
    assert (report.applied, report.stale) == (2, 2)
    assert store.figures[a]["windows"]["campaign"]["votes"] == 4
    assert store.writes == 2


def test_a_stale_event_is_refused_by_the_store_even_when_the_cache_was_dropped(setup):
    store, _, proc = setup
    a = SMALL[0]
    proc.handle([event(a, 10, 40, offset=9)])
    store.put_if_newer(a, "99999999999999999999|2026-11-20|z", {"windows": {}})  # another writer moved on
    proc.forget()
    assert proc.handle([event(a, 12, 50, offset=11)]).stale == 1


def test_refresh_of_the_same_offset_on_a_new_day_is_newer(setup):
    store, _, proc = setup
    a = SMALL[0]
    proc.handle([event(a, 10, 40, offset=9)])
    assert proc.handle([event(a, 8, 30, offset=9, day="2026-11-21", as_of="2026-11-20T17:00:01.000Z")]).applied == 1
    assert store.figures[a]["day"] == "2026-11-21"


def test_invalid_records_are_counted_and_skipped(setup):
    _store, _, proc = setup
    bad = [Rec(None), Rec(b"not json"), Rec(b"[1]"), Rec(json.dumps({"schema": "scores.v1"}).encode()),
           event("1001", 1, 5, offset=1)]  # a Bangkok khet: not in the programme
    report = proc.handle([*bad, event(SMALL[0], 1, 5, offset=1)])
    assert (report.invalid, report.applied) == (5, 1)


def test_comments_are_not_kept_by_ranking(setup):
    store, _, proc = setup
    proc.handle([event(SMALL[0], 1, 5, offset=1)])
    assert "latest_comments" not in store.figures[SMALL[0]]


def test_midnight_snapshot_closes_yesterday_once_and_before_new_day_figures(setup):
    store, clock, proc = setup
    a, b = SMALL[:2]
    proc.handle([event(a, 2, 10, offset=1), event(b, 2, 6, offset=2)])
    # The first batch closes the day before with what the store held before it: nothing ranked.
    assert {s.split(":")[0] for s in store.snapshots} == {"2026-11-19"}
    assert store.snapshots["2026-11-19:small:campaign"]["ranks"][a] is None
    # A standing of the new Bangkok day arrives before the clock's tick: yesterday closes first.
    report = proc.handle([event(b, 9, 45, offset=3, day="2026-11-21", as_of="2026-11-20T17:00:02.000Z")])
    assert report.snapshots == 9
    closing = store.snapshots["2026-11-20:small:campaign"]
    assert closing["ranks"][a] == 1 and closing["ranks"][b] == 2  # b's new figures came after the close
    assert closing["formula"] == {"name": "mean", "params": {"min_votes": 1}}
    # The campaign close keeps the day's closing totals (the site's daily trend); the other windows do not.
    assert closing["tallies"] == {a: [2, 10], b: [2, 6]}
    assert "tallies" not in store.snapshots["2026-11-20:small:7d"]
    clock.now = DAY2
    assert proc.tick(DAY2) is None  # already taken: nothing due
    restarted = RankingProcessor(store, REGISTRY, Formula("mean", {"min_votes": 1}), clock=clock)
    assert restarted.tick(DAY2).snapshots == 0  # a restart looks, and does not take it again
    assert restarted.tick(DAY2) is None
    assert len(store.snapshots) == 18
    assert proc.tick(DAY2 + timedelta(days=1)).snapshots == 9  # the next midnight, from the clock alone


def test_the_report_carries_when_scoring_computed_each_stored_standing(setup):
    """Ranking's part of vote-to-leaderboard freshness (ranking_standing_age_seconds) is measured from it."""
    _, _, proc = setup
    a, b = SMALL[:2]
    report = proc.handle([event(a, 3, 12, offset=3, as_of="2026-11-20T09:59:00.000Z"),
                          event(b, 1, 5, offset=7, as_of="2026-11-20T09:59:30.000Z"),
                          event(a, 2, 8, offset=2, as_of="2026-11-20T09:58:00.000Z")])  # stale: not measured
    assert sorted(report.applied_as_of) == [datetime(2026, 11, 20, 9, 59, tzinfo=UTC),
                                            datetime(2026, 11, 20, 9, 59, 30, tzinfo=UTC)]
    held = event(a, 3, 12, offset=3, as_of="2026-11-20T09:59:00.000Z")
    assert proc.handle([held]).applied_as_of == []  # already held: nothing stored, nothing measured

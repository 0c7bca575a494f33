"""What the site reads from ranking's view beyond the boards: awards (read again only when one is closed),
the daily closes, and when the figures last changed (carried through the change log too)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.ranking.formulas import Formula
from services.ranking.live import LiveBoards
from shared.districts import load_registry
from tests.support.ranking_fakes import MemoryRankingStore
from tests.support.site_data import seed_campaign

NOW = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)
REGISTRY = load_registry()


class CountingStore(MemoryRankingStore):
    def __init__(self):
        super().__init__()
        self.award_reads = 0

    def all_awards(self) -> list[dict]:
        self.award_reads += 1
        return super().all_awards()


def test_awards_are_read_again_only_when_one_is_closed_and_closes_feed_the_trend():
    store = CountingStore()
    formula = Formula("mean", {"min_votes": 1})
    seed_campaign(store, REGISTRY, formula, date(2026, 11, 22), days=3, award=None, now=NOW)
    live = LiveBoards(store, REGISTRY, formula, clock=lambda: NOW, interval_s=60)
    view = live.view()
    assert view.awards == [] and store.award_reads == 1
    assert view.close_days == frozenset({"2026-11-20", "2026-11-21"})
    assert view.updated_at == NOW
    store.bump(NOW)
    live.refresh()
    assert store.award_reads == 1  # a new version without a new award: not read again
    seed_award = MemoryRankingStore()
    seed_campaign(seed_award, REGISTRY, formula, date(2026, 11, 22), days=3, award="2569-Q4", now=NOW)
    store.insert_award(seed_award.award("2569-Q4"))
    live.refresh()
    assert live.view().awards == [] and store.award_reads == 1  # closed but not noted: not seen yet
    store.note_award()
    live.refresh()
    [award] = live.view().awards
    assert store.award_reads == 2 and award["name"] == "2569-Q4"
    assert {g: [e["rank"] for e in award["podium"][g]][:1] for g in ("small", "medium", "large")} == {
        "small": [1], "medium": [1], "large": [1]}


def test_a_logged_change_carries_the_time_of_the_update():
    store = MemoryRankingStore()
    formula = Formula("mean", {"min_votes": 1})
    figures = seed_campaign(store, REGISTRY, formula, date(2026, 11, 22), days=2, award=None, now=NOW)
    live = LiveBoards(store, REGISTRY, formula, clock=lambda: NOW, interval_s=60)
    live.view()
    code = next(iter(figures))
    later = datetime(2026, 11, 22, 6, 30, tzinfo=UTC)
    doc = {**store.figures[code], "k": "~", "as_of": "2026-11-22T06:30:00.000Z"}
    store.figures[code] = doc
    store.record_change({code: doc}, later)
    assert live.refresh()
    assert live.view().updated_at == later and live.view().awards == []

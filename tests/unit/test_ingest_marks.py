"""The group commit of `published` marks (services/ingest/marks.py) over the in-memory claim store."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from services.ingest.marks import GroupMarks
from shared.claims import FAILED, PENDING, PUBLISHED, NewClaim
from tests.support.fakes import Clock, MemoryClaims

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


class CountingClaims(MemoryClaims):
    """Counts mark() calls (one a round trip) and can hold the writer back, to let marks queue up."""

    def __init__(self):
        super().__init__()
        self.mark_calls: list[tuple[int, str]] = []
        self.gate = threading.Event()
        self.gate.set()

    def mark(self, ids, state, now):
        self.gate.wait(5)
        self.mark_calls.append((len(ids), state))
        super().mark(ids, state, now)


def claimed(store, *ids: str) -> None:
    store.take([NewClaim(i, f"v-{i}", NOW + timedelta(days=1)) for i in ids], NOW)


def test_published_marks_of_many_requests_go_out_in_one_write():
    store = CountingClaims()
    marks = GroupMarks(store, Clock(NOW))
    claimed(store, *[f"k{i}" for i in range(11)])
    store.gate.clear()  # the first write is under way and slow: the next requests' marks queue
    marks.mark(["k0"], PUBLISHED, NOW)
    for i in range(1, 11):
        marks.mark([f"k{i}"], PUBLISHED, NOW)
    store.gate.set()
    assert marks.flush(5)
    assert sum(n for n, _ in store.mark_calls) == 11
    assert len(store.mark_calls) <= 2  # the first request's alone, then the ten that waited, together
    assert {store.held(f"k{i}", NOW).state for i in range(11)} == {PUBLISHED}


def test_failed_marks_are_written_at_once_so_a_retry_may_take_over_at_once():
    store = CountingClaims()
    marks = GroupMarks(store, Clock(NOW))
    claimed(store, "f")
    marks.mark(["f"], FAILED, NOW)
    assert store.held("f", NOW).state == FAILED  # no flush needed


def test_a_young_pending_claim_is_read_again_before_it_is_reported_pending():
    store = CountingClaims()
    marks = GroupMarks(store, Clock(NOW))
    claimed(store, "r")
    store.gate.clear()
    marks.mark(["r"], PUBLISHED, NOW)  # queued: the writer waits at the gate
    threading.Timer(0.03, store.gate.set).start()
    assert marks.held("r", NOW).state == PUBLISHED  # seen once the mark landed, not "in progress"


def test_an_old_pending_claim_is_reported_at_once():
    store = CountingClaims()
    marks = GroupMarks(store, Clock(NOW))
    claimed(store, "old")
    later = NOW + GroupMarks.YOUNG + timedelta(seconds=1)
    assert marks.held("old", later).state == PENDING

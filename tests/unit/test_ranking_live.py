"""The web view follows the consumer's logged changes instead of reading all 878 figures on every batch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.ranking import live
from services.ranking.formulas import Formula
from services.ranking.live import LiveBoards
from services.ranking.processor import RankingProcessor
from shared.districts import load_registry
from tests.support.ranking_fakes import MemoryRankingStore
from tests.unit.test_ranking_processor import event

REGISTRY = load_registry()
SMALL = sorted(d.code for d in REGISTRY if d.size_group == "small")[:4]
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
FORMULA = Formula("mean", {"min_votes": 1})


class CountingStore(MemoryRankingStore):
    def __init__(self):
        super().__init__()
        self.full_reads = 0

    def all_figures(self) -> dict[str, dict]:
        self.full_reads += 1
        return super().all_figures()


@pytest.fixture
def setup():
    store = CountingStore()
    processor = RankingProcessor(store, REGISTRY, FORMULA, clock=lambda: NOW)
    processor.snapshotted_through = NOW.date()  # no snapshot work in these tests
    boards = LiveBoards(store, REGISTRY, FORMULA, clock=lambda: NOW, interval_s=3600)
    return store, processor, boards


def ranks(view) -> dict[str, int | None]:
    return {e.code: e.rank for e in view.boards[("small", "campaign")] if e.code in SMALL}


def fresh_view(store):
    return LiveBoards(store, REGISTRY, FORMULA, clock=lambda: NOW, interval_s=3600).view()


def test_batches_are_applied_from_the_log_and_equal_a_full_read(setup):
    store, processor, boards = setup
    processor.handle([event(SMALL[0], 2, 8, offset=1), event(SMALL[1], 2, 10, offset=2)])
    first = boards.view()
    assert store.full_reads == 1 and ranks(first)[SMALL[1]] == 1
    processor.handle([event(SMALL[0], 3, 15, offset=3)])
    processor.handle([event(SMALL[2], 1, 3, offset=4), event(SMALL[1], 3, 11, offset=5)])
    assert boards.refresh() is True
    view = boards.view()
    assert store.full_reads == 1, "two batches must not cost a full read"
    assert view.version == store.read_state()["version"] == 3
    assert view.figures == fresh_view(store).figures
    assert ranks(view) == ranks(fresh_view(store)) and ranks(view)[SMALL[0]] == 1


def test_a_change_counted_late_never_puts_back_an_older_figure(setup):
    store, processor, boards = setup
    processor.handle([event(SMALL[0], 1, 5, offset=1)])
    boards.view()
    newer = {**store.figures[SMALL[0]], "k": "2" * 40}
    older = {**store.figures[SMALL[0]], "k": "1" * 40}
    store.record_change({SMALL[0]: newer}, NOW)  # two consumers counted their batches in the other order
    store.record_change({SMALL[0]: older}, NOW)
    boards.refresh()
    assert boards.view().figures[SMALL[0]]["k"] == "2" * 40


def test_a_missing_change_is_awaited_then_everything_is_read(setup, monkeypatch):
    store, processor, boards = setup
    processor.handle([event(SMALL[0], 1, 5, offset=1)])
    boards.view()
    processor.handle([event(SMALL[1], 1, 4, offset=2)])
    processor.handle([event(SMALL[2], 1, 3, offset=3)])
    lost = store.changes.pop(2)  # its consumer died between counting the change and logging it
    assert boards.refresh() is False and store.full_reads == 1  # within the grace: wait for it
    monkeypatch.setattr(live, "MISSING_CHANGE_GRACE_S", 0.0)
    boards.refresh()
    assert store.full_reads == 2 and boards.view().version == 3
    assert set(lost["figures"]) <= set(boards.view().figures)


@pytest.mark.parametrize("cause", ["reload", "too_many"])
def test_a_reload_marker_or_a_long_gap_reads_everything(setup, monkeypatch, cause):
    store, processor, boards = setup
    processor.handle([event(SMALL[0], 1, 5, offset=1)])
    boards.view()
    if cause == "reload":
        store.bump(NOW)  # figures written by a tool: the log says read everything
    else:
        monkeypatch.setattr(live, "MAX_PENDING_CHANGES", 1)
        processor.handle([event(SMALL[1], 1, 4, offset=2)])
        processor.handle([event(SMALL[2], 1, 3, offset=3)])
    assert boards.refresh() is True and store.full_reads == 2


def test_nothing_new_reads_only_the_counter(setup):
    store, processor, boards = setup
    processor.handle([event(SMALL[0], 1, 5, offset=1)])
    view = boards.view()
    assert boards.refresh() is False and boards.view() is view and store.full_reads == 1



REFRESHER_SCRIPT = """
import atexit, sys, threading, time
from datetime import UTC, datetime
from pymongo.errors import InvalidOperation
from services.ranking.formulas import Formula
from services.ranking.live import LiveBoards
from shared.districts import load_registry
from tests.support.ranking_fakes import MemoryRankingStore

fails_while_serving = sys.argv[1] == "store-down"

class Store(MemoryRankingStore):
    reads = 0
    def read_state(self):
        self.reads += 1
        if not threading.main_thread().is_alive():  # pymongo's clients close while the interpreter exits
            raise InvalidOperation("Cannot use MongoClient after close")
        if fails_while_serving and self.reads > 1:
            raise InvalidOperation("the store is away")
        return super().read_state()

boards = LiveBoards(Store(), load_registry(), Formula("mean", {"min_votes": 1}),
                    clock=lambda: datetime(2026, 11, 20, 10, 0, tzinfo=UTC), interval_s=0.001)
boards.view()
time.sleep(0.05)
print("main done", flush=True)
atexit.register(time.sleep, 0.3)  # exit handlers take a while (pytest's, pymongo's): the refresher still runs
"""


def run_refresher(case: str) -> str:
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run([sys.executable, "-c", REFRESHER_SCRIPT, case], cwd=Path(__file__).resolve().parents[2],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "main done" in done.stdout, done.stderr
    return done.stderr


@pytest.mark.parametrize("attempt", range(3))
def test_the_refresher_ends_quietly_when_the_interpreter_exits(attempt):
    """A web process (or a test run) that exits must not log a refresh failure caused by its own shutdown."""
    stderr = run_refresher("exit")
    assert "refresh failed" not in stderr, stderr


def test_a_store_failing_while_serving_is_still_logged():
    assert "leaderboard refresh failed" in run_refresher("store-down")

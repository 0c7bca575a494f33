"""Scoring's cached window sums (shared.counting.WindowCache, issue 24) publish exactly what summing every day does.

The processor keeps, per district and window, the sum of its days other than today and adds today's buckets to it
at every batch. Random sequences of batches run through the processor's own bucket steps (`_apply`, its conflicts
and re-reads, `forget` and the reload after it) against a store held in memory: votes on random days (today, past
days inside and outside the windows, a day ahead), flagged votes and sources, the clock crossing Bangkok midnight,
campaign windows with a start and an end. After every step each district's cached windows must equal the uncached
sum of its days (`windows_of`, as before the cache).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.scoring.domain import Bucket, Tally, Vote
from services.scoring.processor import ScoringProcessor, Windows
from shared.config import Topics
from shared.counting import WindowCache, windows_of
from shared.districts import load_registry
from shared.timeutil import bangkok_day

START = datetime(2026, 11, 20, 3, tzinfo=UTC)  # 10:00 in Bangkok
DISTRICTS = ("1001", "1002", "3706")


def copied(bucket: Bucket) -> Bucket:
    return Bucket(bucket.partition, bucket.day, bucket.applied_offset,
                  {d: Tally().plus(t) for d, t in bucket.tallies.items()}, bucket.exists)


class MemoryStore:
    """The bucket part of ScoringStore in memory; with `rng`, about one write in six finds that another writer
    moved the bucket first (it added a vote of its own, as a consumer that owned the partition would)."""

    def __init__(self, rng: random.Random | None):
        self.stored: dict[str, Bucket] = {}
        self.rng = rng
        self.other_offset = 10**6

    def load_buckets(self, query: dict) -> list[Bucket]:
        if "_id" in query:
            return [copied(self.stored[query["_id"]])] if query["_id"] in self.stored else []
        return [copied(b) for b in self.stored.values() if b.partition == query["p"]]

    def load_standings(self, partitions) -> dict:
        return {}

    def apply(self, inc) -> bool:
        held = self.stored.get(inc.bucket.id)
        if (held.applied_offset if held else -1) != inc.bucket.applied_offset:
            return False
        if self.rng is not None and self.rng.random() < 0.17:
            other = held or Bucket(inc.bucket.partition, inc.bucket.day, exists=True)
            self.other_offset += 1
            tally = Tally()
            tally.add(3, datetime.combine(other.day, datetime.min.time(), UTC) + timedelta(hours=5))
            tally.sources.add("other")
            district = self.rng.choice(DISTRICTS)
            other.tallies[district] = other.tallies.get(district, Tally()).plus(tally)
            other.applied_offset = self.other_offset
            self.stored[other.id] = other
            return False
        bucket = copied(held) if held else Bucket(inc.bucket.partition, inc.bucket.day, exists=True)
        for district, tally in inc.tallies.items():
            bucket.tallies[district] = bucket.tallies.get(district, Tally()).plus(tally)
        bucket.applied_offset = inc.applied_offset
        self.stored[bucket.id] = bucket
        return True


class NoOutput:
    def send(self, topic, key, value) -> None:
        raise AssertionError("nothing is published here")

    def dead_letter(self, record, reason) -> None:
        raise AssertionError("no records here")


votes = st.lists(st.tuples(st.sampled_from(DISTRICTS), st.integers(0, 1), st.integers(-45, 1), st.integers(1, 5),
                           st.booleans(), st.sampled_from(["a", "b", "c", "d", "e", "f", None])),
                 min_size=1, max_size=12)
steps = st.lists(st.one_of(st.tuples(st.just("batch"), votes),
                           st.tuples(st.just("clock"), st.integers(1, 30)),  # hours: crosses Bangkok midnight
                           st.tuples(st.just("forget"))), min_size=1, max_size=25)
bounds = st.one_of(st.none(), st.integers(-40, 5).map(lambda n: bangkok_day(START) + timedelta(days=n)))


class Run:
    def __init__(self, windows: Windows, rng: random.Random | None = None):
        self.now = START
        self.store = MemoryStore(rng)
        self.p = ScoringProcessor(self.store, load_registry(), NoOutput(), topics=Topics(), windows=windows,
                                  clock=lambda: self.now)
        self.offsets = [0, 0]
        self.p._load({0, 1})

    def batch(self, drawn) -> None:
        batch = []
        for n, (district, partition, days, score, flagged, source) in enumerate(drawn):
            self.offsets[partition] += 1
            at = self.now + timedelta(days=days, minutes=n)
            batch.append(Vote(f"v{partition}-{self.offsets[partition]}", district, score, at, self.now, partition,
                              self.offsets[partition], flagged=flagged, source=source))
        self.p._apply(batch)

    def check(self) -> None:
        for district in DISTRICTS:
            assert self.p.compute(district).windows == self.p.compute_uncached(district)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps, bounds, bounds, st.randoms(use_true_random=False))
def test_cached_windows_equal_the_sum_of_every_day(drawn_steps, first, last, rng):
    run = Run(Windows(campaign_start=first, campaign_end=last, source_cap=3), rng)
    for step in drawn_steps:
        if step[0] == "batch":
            run.batch(step[1])
        elif step[0] == "clock":
            run.now += timedelta(hours=step[1])
        else:
            run.p.forget()
            run.p._load({0, 1})
        run.check()


def test_a_batch_of_today_sums_only_today_and_a_past_vote_rebuilds():
    """60 days stored: the first standing sums them all; a batch of today's votes reuses the closed days'
    sums; a backdated vote (a kiosk's late upload), the day's end and `forget` each build them again."""
    run = Run(Windows())
    for back in range(60):
        run.batch([("3706", 0, -back, 4, False, "a")])
    run.check()
    cache = run.p.window_sums
    built = cache.rebuilds
    for _ in range(5):
        run.batch([("3706", 0, 0, 5, False, "b")])
        run.check()
    assert cache.rebuilds == built  # check() asks every district once a step; none was rebuilt
    run.batch([("3706", 0, -3, 1, False, "c")])
    run.p.compute("3706")
    assert cache.rebuilds == built + 1
    run.now += timedelta(days=1)
    run.check()
    assert cache.rebuilds == built + 1 + len(DISTRICTS)
    run.p.forget()
    run.p._load({0})
    run.check()
    assert run.p.compute("3706").windows["campaign"]["votes"] == 60 + 5 + 1


def test_a_new_part_of_another_day_than_today_builds_the_sums_again():
    """Even unannounced (no `changed`), a part the sums do not hold whose day is not today (a past bucket read
    from elsewhere, a day ahead of Bangkok's) is never taken for today's: the sums are built again."""
    today = bangkok_day(START)
    parts = {"old": (today - timedelta(days=2), Tally(1, 4, [0, 0, 0, 1, 0], START, 0, {"a"}))}
    cache = WindowCache()
    windows = Windows().at(today)
    assert cache.windows("3706", set(parts), parts.__getitem__, windows, today) == windows_of(
        dict(parts.values()), windows)
    for name, back in (("ahead", -1), ("past", 5), ("today", 0)):
        parts[name] = (today - timedelta(days=back), Tally(1, 2, [0, 1, 0, 0, 0], START, 0, {name}))
        assert cache.windows("3706", set(parts), parts.__getitem__, windows, today) == windows_of(
            {d: Tally.sum_of([t for dd, t in parts.values() if dd == d]) for d, _ in parts.values()}, windows)
    assert cache.rebuilds == 3  # the first, "ahead" and "past"; today's part is added to the sums


def test_the_cache_holds_its_own_tallies():
    """The cached sums are new tallies: merging into a bucket's tally later never changes them in place."""
    run = Run(Windows())
    run.batch([("3706", 0, -1, 4, False, "a")])
    run.check()
    bucket = next(b for b in run.p.buckets.values() if b.day == bangkok_day(run.now) - timedelta(days=1))
    entry = run.p.window_sums._entries["3706"]
    before = [replace(t, hist=list(t.hist), sources=set(t.sources)) for t in entry.sums]
    bucket.tallies["3706"].merge(Tally(1, 5, [0, 0, 0, 0, 1], None, 0, {"z"}))
    assert list(entry.sums) == before


def test_a_reread_that_finds_a_bucket_gone_drops_it_from_the_sums():
    """A write that conflicts re-reads its bucket; when the bucket is gone from the store (deleted behind the
    consumer's back), what the cached sums held of it goes too, for every district it held, including one the
    new write does not touch: the windows are the days that remain."""
    run = Run(Windows())
    run.batch([("3706", 0, -3, 4, False, "a"), ("1001", 0, -3, 2, False, "b"), ("1001", 0, 0, 5, False, "c")])
    run.check()
    assert run.p.compute("1001").windows["campaign"]["votes"] == 2
    past = next(b for b in run.p.buckets.values() if b.day == bangkok_day(run.now) - timedelta(days=3))
    del run.store.stored[past.id]  # gone: the next write to it conflicts (its applied offset no longer matches)
    run.batch([("3706", 0, -3, 1, False, "d")])  # touches 3706 only
    assert set(run.p.buckets[past.id].tallies) == {"3706"}  # the re-read found nothing: only the new vote
    run.check()
    assert run.p.compute("1001").windows["campaign"]["votes"] == 1  # today's 5; the lost 2 went
    assert run.p.compute("3706").windows["campaign"]["sum"] == 1

"""Micro-measure (issue 24): one district's three windows over 60 stored days, summed from every day as scoring
did before (`_days_of` + `windows_of`) against the cached sums of the closed days plus today's bucket
(`shared.counting.WindowCache`, as `ScoringProcessor.compute` asks it). Each round first adds a vote to
today's bucket, as a batch does. Not a test: `.venv/bin/python bench/window_cache_measure.py [rounds]`."""

from __future__ import annotations

import sys
import timeit
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.counting import Tally, WindowCache, windows_for, windows_of

TODAY = date(2026, 12, 6)
DISTRICT = "3706"


def aged_buckets(days: int = 60) -> dict[str, tuple[date, dict[str, Tally]]]:
    buckets = {}
    for back in range(days):
        day = TODAY - timedelta(days=back)
        tally = Tally()
        for n in range(40):
            tally.add(1 + n % 5, datetime.combine(day, datetime.min.time(), UTC) + timedelta(minutes=n))
            tally.add_source(f"s{n}", 5)
        tally.flagged = back % 3
        buckets[f"{day.isoformat()}:p0"] = (day, {DISTRICT: tally})
    return buckets


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    buckets = aged_buckets()
    ids = set(buckets)
    windows = windows_for(TODAY, TODAY - timedelta(days=90), None)
    today_tally = buckets[f"{TODAY.isoformat()}:p0"][1][DISTRICT]
    vote_at = datetime(2026, 12, 6, 9, tzinfo=UTC)

    def days_of() -> dict[date, Tally]:  # processor._days_of's loop (one bucket per day here)
        days = {}
        for key in ids:
            day, tallies = buckets[key]
            tally = tallies.get(DISTRICT)
            if tally is not None:
                held = days.get(day)
                days[day] = tally if held is None else held.plus(tally)
        return days

    def part_of(key):
        day, tallies = buckets[key]
        return day, tallies.get(DISTRICT)

    cache = WindowCache()

    def before():
        today_tally.add(4, vote_at)
        return windows_of(days_of(), windows)

    def after():
        today_tally.add(4, vote_at)
        return cache.windows(DISTRICT, ids, part_of, windows, TODAY)

    def same() -> bool:
        return windows_of(days_of(), windows) == cache.windows(DISTRICT, ids, part_of, windows, TODAY)

    assert same()
    results = {"before": float("inf"), "after": float("inf")}
    for _ in range(7):  # alternating, so that a busy moment of the machine weighs on both alike
        for name, fn in (("before", before), ("after", after)):
            results[name] = min(results[name], timeit.timeit(fn, number=rounds) / rounds)
    for name, best in results.items():
        print(f"{name:>6}: {best * 1e6:8.1f} us per district recompute (60 days, 3 windows; best of 7 x {rounds})")
    assert same()
    print(f" ratio: {results['before'] / results['after']:.1f}x; cache rebuilds: {cache.rebuilds}")


if __name__ == "__main__":
    main()

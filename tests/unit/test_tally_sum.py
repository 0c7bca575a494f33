"""A window's figures summed in one pass (`Tally.sum_of`, issue 24) are exactly the day-by-day merge's.

Scoring sums ~60 days per district at every batch on an aged store; the one-pass sum replaced merging each day
into an empty tally. Any difference (a count, the latest time, a source, the flagged votes) would publish
different figures, so the old way is kept here as the oracle and both run on random days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.counting import Tally, window_json, windows_for, windows_of

TODAY = date(2026, 12, 6)

tallies = st.builds(
    Tally,
    st.integers(0, 50), st.integers(0, 250), st.lists(st.integers(0, 20), min_size=5, max_size=5),
    st.one_of(st.none(), st.datetimes(min_value=datetime(2026, 9, 1), max_value=datetime(2026, 12, 7),
                                      timezones=st.just(UTC))),
    st.integers(0, 5), st.sets(st.sampled_from(["a", "b", "c", "d", "e", "f", "g"]), max_size=5))
days = st.dictionaries(st.integers(0, 70).map(lambda n: TODAY - timedelta(days=n)), tallies, max_size=70)


def merged_day_by_day(parts: list[Tally]) -> Tally:
    out = Tally()
    for part in parts:
        out.merge(part)
    return out


def windows_day_by_day(by_day: dict[date, Tally], cap: int) -> dict[str, dict]:
    out = {}
    for window in windows_for(TODAY, TODAY - timedelta(days=60), None):
        out[window.name] = window_json(window, merged_day_by_day([t for d, t in by_day.items() if window.contains(d)]),
                                       cap)
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(tallies, max_size=8))
def test_sum_of_is_the_merge_of_each_in_turn_and_changes_none(parts):
    before = [(t.votes, t.total, list(t.hist), t.last_at, t.flagged, set(t.sources)) for t in parts]
    assert Tally.sum_of(parts) == merged_day_by_day(parts)
    assert [(t.votes, t.total, t.hist, t.last_at, t.flagged, t.sources) for t in parts] == before


@settings(max_examples=300, deadline=None)
@given(days, st.integers(1, 5))
def test_a_districts_windows_are_the_day_by_day_sums(by_day, cap):
    windows = windows_for(TODAY, TODAY - timedelta(days=60), None)
    assert windows_of(by_day, windows, cap) == windows_day_by_day(by_day, cap)


def test_a_window_without_days_is_empty_and_not_shared():
    empty = Tally.sum_of([])
    assert empty == Tally() and empty is not Tally.sum_of([])
    one = Tally(1, 5, [0, 0, 0, 0, 1], datetime(2026, 12, 6, tzinfo=UTC), 0, {"a"})
    total = Tally.sum_of([one])
    total.merge(one)  # the sum is a new tally: the day's own is untouched
    assert one.votes == 1 and one.sources == {"a"}

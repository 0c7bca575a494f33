"""The pure scoring core: Bangkok days, windows, standings maths, coalescing past each bucket's applied offset."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from services.scoring import domain
from services.scoring.domain import Bucket, Tally, Vote

D = date(2026, 11, 21)


def vote(i: int, *, district="3706", score=3, at=datetime(2026, 11, 21, 5, tzinfo=UTC), partition=0) -> Vote:
    return Vote(f"v{i}", district, score, at, at, partition, i)


def test_a_vote_lands_on_its_bangkok_day_not_its_utc_day():
    assert vote(1, at=datetime(2026, 11, 20, 16, 59, 59, tzinfo=UTC)).day == date(2026, 11, 20)
    assert vote(2, at=datetime(2026, 11, 20, 17, 0, 0, tzinfo=UTC)).day == date(2026, 11, 21)  # Bangkok midnight


def test_windows_include_today_and_count_back():
    campaign, last7, last30 = domain.windows_for(D, date(2026, 10, 1), None)
    assert (last7.first, last7.last) == (date(2026, 11, 15), D)
    assert (last30.first, last30.last) == (date(2026, 10, 23), D)
    assert campaign.contains(date(2027, 1, 1)) and not campaign.contains(date(2026, 9, 30))
    assert last7.contains(date(2026, 11, 15)) and not last7.contains(date(2026, 11, 14))


def test_standing_sums_days_per_window_with_mean_histogram_and_last_vote():
    days = {D: Tally(2, 9, [0, 0, 0, 1, 1], datetime(2026, 11, 21, 3, tzinfo=UTC)),
            date(2026, 11, 1): Tally(1, 1, [1, 0, 0, 0, 0], datetime(2026, 11, 1, tzinfo=UTC))}
    s = domain.standing("3706", days, domain.windows_for(D), D)
    assert s.windows["campaign"] == {"from": None, "to": None, "votes": 3, "sum": 10, "mean": 3.3333,
                                        "histogram": {"1": 1, "2": 0, "3": 0, "4": 1, "5": 1},
                                        "last_vote_at": "2026-11-21T03:00:00.000Z", "flagged": 0, "sources": 0}
    assert s.windows["last_7_days"]["votes"] == 2 and s.windows["last_7_days"]["mean"] == 4.5
    assert s.windows["last_30_days"]["votes"] == 3


def test_no_votes_is_zeros_not_an_error():
    s = domain.standing("3706", {}, domain.windows_for(D), D)
    assert all(w["votes"] == 0 and w["mean"] == 0.0 and w["last_vote_at"] is None for w in s.windows.values())


def test_the_window_moves_with_the_clock():
    days = {date(2026, 11, 15): Tally(1, 5, [0, 0, 0, 0, 1])}
    today = domain.standing("3706", days, domain.windows_for(D), D)
    tomorrow = domain.standing("3706", days, domain.windows_for(date(2026, 11, 22)), date(2026, 11, 22))
    assert today.windows["last_7_days"]["votes"] == 1 and tomorrow.windows["last_7_days"]["votes"] == 0
    assert not today.same_figures(tomorrow)


def test_a_batch_is_coalesced_into_one_increment_per_bucket():
    votes = [vote(i, district=d, score=s) for i, (d, s) in enumerate([("3706", 5), ("4408", 1), ("3706", 3)])]
    buckets = {domain.bucket_id(0, D): Bucket(0, D)}
    [inc] = domain.plan_increments(votes, buckets)
    assert inc.applied_offset == 2
    assert (inc.tallies["3706"].votes, inc.tallies["3706"].total, inc.tallies["3706"].hist) == (2, 8, [0, 0, 1, 0, 1])
    assert inc.tallies["4408"].votes == 1


def test_votes_at_or_below_the_applied_offset_are_not_applied_again():
    votes = [vote(i) for i in range(10)]
    buckets = {domain.bucket_id(0, D): Bucket(0, D, applied_offset=6)}
    [inc] = domain.plan_increments(votes, buckets)
    assert [v.offset for v in inc.votes] == [7, 8, 9]
    buckets[domain.bucket_id(0, D)].applied_offset = 9
    assert domain.plan_increments(votes, buckets) == []


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(0, 40)), max_size=60), st.integers(0, 60))
def test_crash_and_replay_from_any_point_counts_each_vote_once(scores_days, crash_after):
    """Apply a prefix, 'crash', replay everything: the bucket equals a single clean application."""
    votes = [vote(i, score=s, at=datetime(2026, 10, 1, tzinfo=UTC).replace(day=1 + d % 28))
             for i, (s, d) in enumerate(scores_days)]
    buckets: dict[str, Bucket] = {}
    for v in votes:
        buckets.setdefault(domain.bucket_id(v.partition, v.day), Bucket(v.partition, v.day))

    def apply(batch):
        for inc in domain.plan_increments(batch, buckets):
            for d, t in inc.tallies.items():
                inc.bucket.tallies.setdefault(d, Tally()).merge(t)
            inc.bucket.applied_offset = inc.applied_offset

    apply(votes[:crash_after])
    apply(votes)  # redelivery from the last commit (here: the start)
    got = sum((b.tallies.get("3706", Tally()).total for b in buckets.values()), 0)
    assert got == sum(s for s, _ in scores_days)
    assert sum(b.tallies.get("3706", Tally()).votes for b in buckets.values()) == len(votes)


def test_latest_comments_are_newest_first_one_per_vote_and_bounded():
    at = datetime(2026, 11, 21, tzinfo=UTC)
    first = [domain.comment_entry(f"v{i}", 5, f"c{i}", at.replace(hour=i)) for i in range(12)]
    merged = domain.merge_comments([], first)
    assert [c["vote_id"] for c in merged] == [f"v{i}" for i in range(11, 1, -1)]
    assert domain.merge_comments(merged, first) == merged  # a replayed batch changes nothing


def test_a_standing_is_stored_with_its_partition_and_shown_without_it():
    s = domain.standing("3706", {D: Tally(1, 4, [0, 0, 0, 1, 0])}, domain.windows_for(D), D, partition=3)
    assert set(s.figures()) == {"district_code", "day", "windows", "latest_comments"}
    assert s.to_document()["partition"] == 3
    assert domain.Standing.from_document(s.to_document()) == s


def test_flagged_votes_are_counted_apart_and_never_in_the_official_figures():
    now = datetime(2026, 11, 21, 3, tzinfo=UTC)
    votes = [domain.Vote(f"v{i}", "3706", 5 if i < 2 else 1, now, now, 0, i, flagged=i >= 2) for i in range(5)]
    buckets = {domain.bucket_id(0, D): domain.Bucket(0, D)}
    [inc] = domain.plan_increments(votes, buckets)
    tally = inc.tallies["3706"]
    assert (tally.votes, tally.total, tally.flagged) == (2, 10, 3)
    window = domain.standing("3706", {D: tally}, domain.windows_for(D), D).windows["campaign"]
    assert (window["votes"], window["mean"], window["flagged"]) == (2, 5.0, 3)
    assert domain.Tally.from_fields(tally.to_fields()) == tally


def test_a_voters_day_is_the_bangkok_day_of_receipt_not_of_submitted_at():
    received = datetime(2026, 11, 21, 3, tzinfo=UTC)
    backdated = domain.Vote("v", "3706", 5, received.replace(day=15), received, 0, 1, voter_key="k" * 64)
    assert backdated.voter_day == f"{'k' * 64}:3706:2026-11-21"
    assert domain.Vote("w", "3706", 5, received, received, 0, 2).voter_day is None


def test_a_tally_as_stored_text_reads_back_equal_and_the_older_fields_still_read():
    tally = domain.Tally()
    for score in (5, 4, 4, 1):
        tally.add(score, datetime(2026, 11, 22, 3, 4, 5, 678901, tzinfo=UTC))
    tally.flagged = 2
    text = tally.to_text()
    assert isinstance(text, str) and domain.Tally.from_stored(text) == tally
    assert domain.Tally.from_stored(tally.to_fields()) == tally
    assert domain.Tally.from_stored(domain.Tally().to_text()) == domain.Tally()
    more = domain.Tally()
    more.add(3, datetime(2026, 11, 23, tzinfo=UTC))
    total = tally.plus(more)
    assert (total.votes, total.total, tally.votes) == (5, 17, 4), "plus leaves both operands unchanged"

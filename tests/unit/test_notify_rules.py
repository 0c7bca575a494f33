"""The three rules at and around their thresholds, flagged votes, duplicates, the thresholds file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notify.policy import DEFAULT_FILE, Policy, PolicyFileError, load_policy, parse_policy
from services.notify.rules import CountedVote, VoteBook, evaluate, low_mean, sharp_drop, unhappy_burst
from shared.timeutil import bangkok_day

NOW = datetime(2026, 11, 21, 5, 0, tzinfo=UTC)  # 12:00 in Bangkok
POLICY = Policy()


def book_with(scores_by_days_ago: dict[int, list[int]], *, received: datetime | None = None) -> VoteBook:
    book = VoteBook("3706")
    n = 0
    for days_ago, scores in scores_by_days_ago.items():
        day = bangkok_day(NOW) - timedelta(days=days_ago)
        for s in scores:
            n += 1
            at = (received or NOW - timedelta(days=days_ago, hours=1)).timestamp()
            book.add(day, f"v{n}", CountedVote(s, at))
    return book


def test_defaults_file_matches_the_documented_defaults():
    assert load_policy(DEFAULT_FILE) == Policy()


def test_low_mean_fires_below_three_with_ten_votes():
    assert low_mean(book_with({0: [2] * 5, 3: [3] * 5}), NOW, POLICY).firing  # mean 2.5
    finding = low_mean(book_with({0: [2] * 5, 3: [3] * 4}), NOW, POLICY)  # 9 votes
    assert not finding.firing and finding.figures["votes"] == 9


def test_low_mean_at_exactly_three_does_not_fire():
    assert not low_mean(book_with({0: [3] * 10}), NOW, POLICY).firing
    assert low_mean(book_with({0: [3] * 9 + [2]}), NOW, POLICY).firing  # 2.9


def test_low_mean_window_is_today_and_six_days_before():
    assert not low_mean(book_with({7: [1] * 20}), NOW, POLICY).firing
    assert low_mean(book_with({6: [1] * 20}), NOW, POLICY).firing


def test_sharp_drop_needs_half_a_point_and_ten_votes_each_side():
    before = {d: [4] * 2 for d in range(7, 14)}  # 14 votes, mean 4.0
    assert sharp_drop(book_with({**before, 0: [3] * 5 + [4] * 5}), NOW, POLICY).firing  # 3.5: down 0.5
    assert not sharp_drop(book_with({**before, 0: [3] * 4 + [4] * 6}), NOW, POLICY).firing  # 3.6: down 0.4
    assert not sharp_drop(book_with({**before, 0: [1] * 9}), NOW, POLICY).firing  # 9 votes now
    thin_before = {7: [5] * 9}
    assert not sharp_drop(book_with({**thin_before, 0: [1] * 20}), NOW, POLICY).firing


def test_sharp_drop_exact_at_awkward_decimals():
    """3.7 - 3.2 is 0.5000000000000004 in floats; the rule compares exact fractions."""
    before = {8: [4] * 7 + [3] * 3}  # 3.7
    now = {0: [4] * 2 + [3] * 8}  # 3.2
    assert sharp_drop(book_with({**before, **now}), NOW, POLICY).firing
    p = parse_policy({"sharp_drop": {"drop": 0.6}})
    assert not sharp_drop(book_with({**before, **now}), NOW, p).firing


def test_unhappy_burst_half_of_four_within_fifteen_minutes():
    recent = NOW - timedelta(minutes=5)
    assert unhappy_burst(book_with({0: [1, 2, 4, 5]}, received=recent), NOW, POLICY).firing
    assert not unhappy_burst(book_with({0: [1, 3, 4, 5]}, received=recent), NOW, POLICY).firing
    assert not unhappy_burst(book_with({0: [1, 1, 1]}, received=recent), NOW, POLICY).firing
    old = NOW - timedelta(minutes=16)
    assert not unhappy_burst(book_with({0: [1, 1, 1, 1]}, received=old), NOW, POLICY).firing


def test_duplicate_vote_ids_count_once():
    book = VoteBook("3706")
    day = bangkok_day(NOW)
    assert book.add(day, "same", CountedVote(1, NOW.timestamp()))
    assert not book.add(day, "same", CountedVote(1, NOW.timestamp()))
    for i in range(3):
        book.add(day, f"other{i}", CountedVote(5, NOW.timestamp()))
    assert unhappy_burst(book, NOW, POLICY).figures["votes"] == 4
    assert not unhappy_burst(book, NOW, POLICY).firing  # 1 of 4 unhappy


def test_evaluate_gives_every_rule():
    assert set(evaluate(VoteBook("3706"), NOW, POLICY)) == {"low_mean", "sharp_drop", "unhappy_burst"}


def test_a_bad_thresholds_file_is_refused_with_every_problem(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text('[low_mean]\nbelow = "three"\nminvotes = 4\n[burst]\nx = 1\n[digest]\nhour = true\n')
    with pytest.raises(PolicyFileError) as err:
        load_policy(path)
    message = str(err.value)
    for expected in ("low_mean.below", "low_mean.minvotes: unknown key", "unknown section [burst]", "digest.hour"):
        assert expected in message

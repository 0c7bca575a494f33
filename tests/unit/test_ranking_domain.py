"""The ranking maths against hand-worked examples: each formula, ties (1224), eligibility, movement."""

from __future__ import annotations

import pytest

from services.ranking.domain import leaderboard, movement, order_key, ranks_of, window_tally
from services.ranking.formulas import Formula, GroupPrior, WindowFigures, parse_params, star_lower_bound


def tally(*scores: int) -> WindowFigures:
    hist = tuple(scores.count(s) for s in range(1, 6))
    return WindowFigures(len(scores), sum(scores), hist)


def t(votes: int, total: int) -> WindowFigures:
    return WindowFigures(votes, total, (0, 0, 0, 0, 0))


def test_bayes_pulls_a_few_perfect_votes_toward_the_group_mean():
    # Group: 1,000 votes summing 4,635, so C = 4.635; m = 20.
    # A: 3 votes of 5:        (20·4.635 + 15)   / 23  = 107.7  / 23  = 4.68261 → 4.6826 (ineligible: needs 7)
    # B: 900 votes, sum 4320: (92.7 + 4320)     / 920 = 4412.7 / 920 = 4.79641 → 4.7964
    # C: 97 votes, sum 300:   (92.7 + 300)      / 117 = 392.7  / 117 = 3.35641 → 3.3564
    board = leaderboard({"0001": t(3, 15), "0002": t(900, 4320), "0003": t(97, 300)},
                        Formula("bayes", {"prior_weight": 20, "min_votes": 10}))
    assert [(e.code, e.rank, e.score, e.eligible, e.votes_needed) for e in board] == [
        ("0002", 1, 4.7964, True, 0), ("0003", 2, 3.3564, True, 0), ("0001", None, 4.6826, False, 7)]
    assert [e.mean for e in board] == [4.8, 3.0928, 5.0]  # the plain mean is always beside the score


def test_mean_formula_is_the_plain_mean_and_a_perfect_handful_wins_without_a_minimum():
    board = leaderboard({"0001": t(3, 15), "0002": t(900, 4320)}, Formula("mean", {"min_votes": 1}))
    assert [(e.code, e.rank, e.score) for e in board] == [("0001", 1, 5.0), ("0002", 2, 4.8)]


def test_standard_competition_ranking_orders_a_tie_by_votes_then_code():
    # Means 4.5 (4 votes), 4.5 (2 votes, codes 0003 and 0001), 4.0, 3.0: ranks 1, 1, 1, 4, 5.
    board = leaderboard({"0003": tally(4, 5), "0001": tally(5, 4), "0002": tally(4, 5, 4, 5),
                         "0004": tally(4), "0005": tally(3)}, Formula("mean", {"min_votes": 1}))
    assert [(e.code, e.rank) for e in board] == [("0002", 1), ("0001", 1), ("0003", 1), ("0004", 4), ("0005", 5)]


def test_ineligible_listed_after_eligible_by_votes_with_votes_still_needed_and_no_votes_last():
    board = leaderboard({"0001": tally(1, 1, 1), "0002": tally(5), "0003": WindowFigures(), "0004": tally(2, 2, 2, 2)},
                        Formula("mean", {"min_votes": 3}))
    assert [(e.code, e.rank, e.eligible, e.votes_needed) for e in board] == [
        ("0004", 1, True, 0), ("0001", 2, True, 0), ("0002", None, False, 2), ("0003", None, False, 3)]
    assert board[-1].score is None and board[-1].mean is None


def test_min_votes_zero_still_needs_one_vote_to_be_ranked():
    board = leaderboard({"0001": WindowFigures(), "0002": tally(3)}, Formula("mean", {"min_votes": 0}))
    assert [(e.code, e.rank, e.votes_needed) for e in board] == [("0002", 1, 0), ("0001", None, 1)]


def test_lower_bound_of_a_single_five_star_vote():
    # One 5: weights (n_k+1)/(N+K) = 1/6,1/6,1/6,1/6,2/6. E[s] = 20/6 = 3.33333, E[s²] = 80/6 = 13.33333,
    # variance 2.22222, /(N+K+1 = 7) = 0.317460, sqrt 0.563436, × 1.65 = 0.929670 → 2.403663.
    assert star_lower_bound((0, 0, 0, 0, 1), 1.65) == pytest.approx(2.403663, abs=1e-6)
    formula = Formula("lower_bound", {"min_votes": 1})
    assert formula.score(tally(5), GroupPrior(0, 0)) == 2.4037
    # Many fives beat one five, and many fives beat many fours.
    assert formula.score(tally(*[5] * 50), GroupPrior(0, 0)) > formula.score(tally(*[4] * 50), GroupPrior(0, 0)) \
        > formula.score(tally(5), GroupPrior(0, 0))


def test_formula_params_are_checked_and_travel_with_their_defaults():
    assert Formula("bayes").to_json() == {"name": "bayes", "params": {"min_votes": 10, "prior_weight": 20}}
    assert Formula("lower_bound", {"z": 1.96}).to_json()["params"] == {"min_votes": 10, "z": 1.96}
    with pytest.raises(ValueError, match="unknown formula"):
        Formula("median")
    with pytest.raises(ValueError, match="takes no parameter z"):
        Formula("bayes", {"z": 1})
    with pytest.raises(ValueError, match="≥ 0"):
        Formula("bayes", {"prior_weight": -1})
    with pytest.raises(ValueError, match="whole number"):
        Formula("mean", {"min_votes": 2.5})
    assert parse_params(["prior_weight=50", "z=1.5"]) == {"prior_weight": 50, "z": 1.5}
    with pytest.raises(ValueError, match="key=value"):
        parse_params(["prior_weight"])


def test_movement_against_yesterday():
    yesterday = {"0001": 1, "0002": 2, "0003": None}
    assert movement(2, yesterday, "0001") == {"status": "down", "places": 1, "previous_rank": 1}
    assert movement(1, yesterday, "0002") == {"status": "up", "places": 1, "previous_rank": 2}
    assert movement(1, yesterday, "0001") == {"status": "same", "places": 0, "previous_rank": 1}
    assert movement(3, yesterday, "0003")["status"] == "new"  # ineligible yesterday
    assert movement(3, yesterday, "0009")["status"] == "new"  # not in yesterday's snapshot
    assert movement(3, None, "0001")["status"] == "new"  # no snapshot yet
    assert movement(None, yesterday, "0001") is None  # no rank today


def test_ranks_of_a_board_is_what_a_snapshot_keeps():
    board = leaderboard({"0001": tally(5), "0002": WindowFigures()}, Formula("mean", {"min_votes": 1}))
    assert ranks_of(board) == {"0001": 1, "0002": None}


def test_window_tally_reads_the_scores_v1_names():
    figures = {"windows": {"last_7_days": {"votes": 2, "sum": 9, "histogram": {"4": 1, "5": 1}}}}
    assert window_tally(figures, "7d") == WindowFigures(2, 9, (0, 0, 0, 1, 1))
    assert window_tally(figures, "30d") == WindowFigures()
    assert window_tally(None, "campaign") == WindowFigures()


def test_order_key_puts_the_votes_offset_first_then_the_day_then_the_time():
    assert order_key(5, "2026-11-20", "2026-11-20T10:00Z") > order_key(4, "2026-11-21", "2026-11-21T00:00Z")
    assert order_key(5, "2026-11-21", "2026-11-20T17:00Z") > order_key(5, "2026-11-20", "2026-11-20T16:00Z")
    assert order_key(0, "2026-11-20", "a") > order_key(None, "2026-11-21", "b")
    assert order_key(10, "2026-11-20", "x") > order_key(9, "2026-11-20", "x")  # zero-padded: 10 > 9 as strings


@pytest.mark.parametrize("hist,expected", [
    ({"1": 1, "2": 4, "3": 10, "4": 40, "5": 65}, (1, 4, 10, 40, 65)),
    ({"5": 3}, (0, 0, 0, 0, 3)),  # counts left out are zeros
    ({"0": 9, "6": 9, "x": 1, "2": 2}, (0, 2, 0, 0, 0)),  # keys outside 1-5 are not scores
    (None, (0, 0, 0, 0, 0)),
])
def test_window_tally_reads_each_score_count_once_in_order(hist, expected):
    figures = {"windows": {"campaign": {"votes": sum(expected), "sum": 7, "histogram": hist, "sources": 2}}}
    assert window_tally(figures, "campaign") == WindowFigures(sum(expected), 7, expected, 2)

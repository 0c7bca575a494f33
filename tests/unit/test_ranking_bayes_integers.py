"""The Bayes score in integers (issue 24) gives exactly what the Fraction arithmetic gave, ties included."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from services.ranking.formulas import (
    PLACES,
    Formula,
    GroupPrior,
    WindowFigures,
    bayesian_average,
    rounded_ratio,
)


def fraction_bayes(tally: WindowFigures, prior: GroupPrior, weight: Fraction) -> float:
    """The formula as it was written with Fraction (the reference)."""
    group_mean = prior.mean if prior.mean is not None else Fraction(tally.total, tally.votes)
    return float(round((weight * group_mean + tally.total) / (weight + tally.votes), PLACES))


@given(votes=st.integers(1, 10**6), share=st.floats(1, 5), group_votes=st.integers(0, 10**7),
       group_share=st.floats(1, 5), weight=st.one_of(st.integers(0, 500), st.fractions(0, 500)))
def test_integer_bayes_equals_the_fraction_formula(votes, share, group_votes, group_share, weight):
    tally = WindowFigures(votes=votes, total=round(votes * share))
    prior = GroupPrior(votes=group_votes, total=round(group_votes * group_share))
    weight = Fraction(weight)
    assert bayesian_average(tally, prior, weight) == fraction_bayes(tally, prior, weight)


def test_ties_round_half_to_even_as_fraction_does():
    for num, den in [(1, 20000), (3, 20000), (5, 20000), (-1, 20000), (12345, 10**4), (2, 3), (7, 8)]:
        assert rounded_ratio(num, den) == float(round(Fraction(num, den), PLACES))


@given(votes=st.integers(1, 10**7), total=st.integers(0, 5 * 10**7))
def test_the_mean_in_integers_equals_the_fraction_mean(votes, total):
    """The plain mean shown beside the score (and the `mean` formula) rounds as Fraction did."""
    expected = float(round(Fraction(total, votes), PLACES))
    assert WindowFigures(votes=votes, total=total).mean == expected
    assert Formula("mean").score(WindowFigures(votes=votes, total=total), GroupPrior(0, 0)) == expected


def test_a_district_without_votes_has_no_mean():
    assert WindowFigures().mean is None

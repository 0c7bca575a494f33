"""The fair score of a district: the formulas a leaderboard can be ranked by, and their parameters.

Pure maths, no I/O. Scores are rounded to 4 places (as scoring rounds means) before they are
compared, so two districts shown with the same score always share a rank. The Bayesian average and
the mean are computed in exact fractions, so a ranking rebuilt anywhere gives the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

SCORE_VALUES = (1, 2, 3, 4, 5)
PLACES = 4


@dataclass(frozen=True)
class WindowFigures:
    """A district's figures for one window: what scores.v1 carries (votes, sum, histogram 1-5)."""

    votes: int = 0
    total: int = 0
    histogram: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)
    # Distinct sources of the counted votes, counted up to MIN_SOURCES by scoring; None from a scoring
    # older than the field (judged by votes alone until scoring republishes, which it does at its start).
    sources: int | None = None

    @property
    def mean(self) -> float | None:
        # In integers, as the Bayes score: `Fraction`'s rounding here was a fifth of the ranking web's
        # samples, every board rebuilt after every change (issue 24).
        return rounded_ratio(self.total, self.votes) if self.votes else None


@dataclass(frozen=True)
class GroupPrior:
    """What a formula may know about the whole group for the window: its votes and their sum."""

    votes: int
    total: int

    @classmethod
    def of(cls, tallies: Iterable[WindowFigures]) -> GroupPrior:
        votes = total = 0
        for t in tallies:
            votes += t.votes
            total += t.total
        return cls(votes, total)

    @property
    def mean(self) -> Fraction | None:
        return Fraction(self.total, self.votes) if self.votes else None


@dataclass(frozen=True)
class Formula:
    """A named formula with its parameters; `min_votes` is the eligibility threshold of every formula, and
    `min_sources` the distinct sources a district's votes must come from (MIN_SOURCES: a platform setting,
    not a formula parameter, since scoring counts sources only up to it)."""

    name: str
    params: Mapping[str, float | int] = field(default_factory=dict)
    min_sources: int = 1

    def __post_init__(self) -> None:
        if self.name not in DEFAULTS:
            raise ValueError(f"unknown formula {self.name!r}; choose one of {', '.join(DEFAULTS)}")
        unknown = set(self.params) - set(DEFAULTS[self.name])
        if unknown:
            raise ValueError(f"formula {self.name!r} takes no parameter {', '.join(sorted(unknown))}; "
                             f"it takes {', '.join(DEFAULTS[self.name])}")
        merged = {**DEFAULTS[self.name], **self.params}
        for key, value in merged.items():
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0 or math.isinf(value) \
                    or math.isnan(value):
                raise ValueError(f"parameter {key} must be a number ≥ 0, not {value!r}")
        if merged["min_votes"] != int(merged["min_votes"]):
            raise ValueError("parameter min_votes must be a whole number")
        merged["min_votes"] = int(merged["min_votes"])
        if isinstance(self.min_sources, bool) or not isinstance(self.min_sources, int) or self.min_sources < 1:
            raise ValueError(f"min_sources must be a whole number ≥ 1, not {self.min_sources!r}")
        object.__setattr__(self, "params", dict(sorted(merged.items())))

    @property
    def min_votes(self) -> int:
        """At least one vote in any case: a district with none has no score to rank."""
        return max(1, int(self.params["min_votes"]))

    def to_json(self) -> dict:
        """Name and parameters, and `min_sources` where the rule is on (an award keeps it, to verify by it)."""
        body: dict = {"name": self.name, "params": dict(self.params)}
        if self.min_sources > 1:
            body["min_sources"] = self.min_sources
        return body

    def score(self, tally: WindowFigures, prior: GroupPrior) -> float | None:
        """The district's score rounded to 4 places, or None when it has no votes."""
        if tally.votes == 0:
            return None
        if self.name == "mean":
            return rounded_ratio(tally.total, tally.votes)
        if self.name == "bayes":
            return bayesian_average(tally, prior, Fraction(self.params["prior_weight"]))
        return round(star_lower_bound(tally.histogram, float(self.params["z"])), PLACES)


# Defaults: with about 40,000 voters over 878 districts a district sees ~45 votes in a campaign; a prior
# of 20 pseudo-votes pulls a handful of votes well toward the group mean and barely moves hundreds.
DEFAULTS: dict[str, dict[str, float | int]] = {
    "bayes": {"prior_weight": 20, "min_votes": 10},
    "mean": {"min_votes": 10},
    "lower_bound": {"z": 1.65, "min_votes": 10},
}


def bayesian_average(tally: WindowFigures, prior: GroupPrior, weight: Fraction) -> float:
    """IMDb's weighted rating: (m·C + Σscores) / (m + n), with C the group's mean for the window.

    In integers, C = p/q and m = a/b: (a·p + Σ·b·q) / (q·(a + n·b)), rounded once, half to even: the
    same exact value as with `Fraction`, whose arithmetic was ~45 % of the ranking web's CPU when it
    rescored 878 districts after every change (issue 24's profile)."""
    p, q = (prior.total, prior.votes) if prior.votes else (tally.total, tally.votes)
    a, b = weight.numerator, weight.denominator
    return rounded_ratio(a * p + tally.total * b * q, q * (a + tally.votes * b))


def rounded_ratio(num: int, den: int) -> float:
    """num/den to PLACES decimals, half to even: exactly `float(round(Fraction(num, den), PLACES))`."""
    shift = 10 ** PLACES
    whole, rest = divmod(num * shift, den)
    if 2 * rest > den or (2 * rest == den and whole % 2):
        whole += 1
    return whole / shift


def star_lower_bound(histogram: tuple[int, ...], z: float) -> float:
    """Evan Miller's "Ranking items with star ratings": the normal approximation of a lower bound of
    the expected score under a Dirichlet posterior with one pseudo-vote per star value."""
    n = sum(histogram)
    k = len(SCORE_VALUES)
    weights = [(count + 1) / (n + k) for count in histogram]
    first = sum(s * w for s, w in zip(SCORE_VALUES, weights, strict=True))
    second = sum(s * s * w for s, w in zip(SCORE_VALUES, weights, strict=True))
    variance = max(0.0, second - first * first)
    return first - z * math.sqrt(variance / (n + k + 1))


def parse_params(pairs: Iterable[str]) -> dict[str, float | int]:
    """`k=v` command-line parameters as numbers (ints where they are whole)."""
    out: dict[str, float | int] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"parameter {pair!r} must be written key=value")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"parameter {key} must be a number, not {text!r}") from None
        out[key.strip()] = int(number) if number.is_integer() else number
    return out

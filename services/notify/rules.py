"""The three alert rules: pure functions of one district's counted votes.

What counts is scoring's decision (ballots.v1; shared/counting.py): only counted votes reach the book.
They are kept as sets keyed by `vote_id`, so a redelivered ballot is counted once whatever the order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction

from services.notify.policy import Policy
from shared.timeutil import bangkok_day

LOW_MEAN, SHARP_DROP, UNHAPPY_BURST = "low_mean", "sharp_drop", "unhappy_burst"
RULES = (LOW_MEAN, SHARP_DROP, UNHAPPY_BURST)


@dataclass(frozen=True)
class CountedVote:
    score: int
    received_at: float  # epoch seconds: the burst rule looks at when votes arrived


@dataclass
class VoteBook:
    """One district's votes by Bangkok day of `submitted_at` (as scoring places them)."""

    district: str
    days: dict[date, dict[str, CountedVote]] = field(default_factory=dict)

    def add(self, day: date, vote_id: str, vote: CountedVote) -> bool:
        """True if the vote is new to the book."""
        bucket = self.days.setdefault(day, {})
        if vote_id in bucket:
            return False
        bucket[vote_id] = vote
        return True

    def window(self, last_day: date, days: int) -> list[CountedVote]:
        out: list[CountedVote] = []
        for offset in range(days):
            out.extend(self.days.get(last_day - timedelta(days=offset), {}).values())
        return out

    def received_between(self, start: float, end: float) -> list[CountedVote]:
        return [v for bucket in self.days.values() for v in bucket.values() if start < v.received_at <= end]

    def drop_before(self, first_kept: date) -> None:
        for day in [d for d in self.days if d < first_kept]:
            del self.days[day]


@dataclass(frozen=True)
class Finding:
    """A rule's verdict for one district at one moment, with the figures behind it."""

    rule: str
    firing: bool
    figures: dict


def _mean(votes: Iterable[CountedVote]) -> tuple[int, Fraction | None]:
    scores = [v.score for v in votes]
    return len(scores), (Fraction(sum(scores), len(scores)) if scores else None)


def _rounded(mean: Fraction | None) -> float | None:
    return None if mean is None else round(float(mean), 2)


def low_mean(book: VoteBook, now: datetime, policy: Policy) -> Finding:
    p = policy.low_mean
    n, mean = _mean(book.window(bangkok_day(now), p.window_days))
    firing = n >= p.min_votes and mean is not None and mean < Fraction(str(p.below))
    return Finding(LOW_MEAN, firing, {"votes": n, "mean": _rounded(mean), "below": p.below,
                                      "min_votes": p.min_votes, "days": p.window_days})


def sharp_drop(book: VoteBook, now: datetime, policy: Policy) -> Finding:
    p = policy.sharp_drop
    today = bangkok_day(now)
    n_now, mean_now = _mean(book.window(today, p.window_days))
    n_before, mean_before = _mean(book.window(today - timedelta(days=p.window_days), p.window_days))
    firing = (n_now >= p.min_votes and n_before >= p.min_votes and mean_now is not None
              and mean_before is not None and mean_before - mean_now >= Fraction(str(p.drop)))
    return Finding(SHARP_DROP, firing, {"votes": n_now, "mean": _rounded(mean_now), "votes_before": n_before,
                                        "mean_before": _rounded(mean_before), "drop": p.drop,
                                        "min_votes": p.min_votes, "days": p.window_days})


def unhappy_burst(book: VoteBook, now: datetime, policy: Policy) -> Finding:
    p = policy.unhappy_burst
    end = now.timestamp()
    recent = book.received_between(end - p.window_minutes * 60, end)
    unhappy = sum(1 for v in recent if v.score <= p.unhappy_max_score)
    firing = len(recent) >= p.min_votes and Fraction(unhappy, len(recent)) >= Fraction(str(p.unhappy_share))
    return Finding(UNHAPPY_BURST, firing, {"votes": len(recent), "unhappy": unhappy, "minutes": p.window_minutes,
                                           "share": p.unhappy_share, "min_votes": p.min_votes})


def evaluate(book: VoteBook, now: datetime, policy: Policy) -> dict[str, Finding]:
    return {f.rule: f for f in (low_mean(book, now, policy), sharp_drop(book, now, policy),
                                unhappy_burst(book, now, policy))}


def days_kept(policy: Policy) -> int:
    """How many Bangkok days of votes the rules ever look at (the sharp drop's two windows)."""
    return max(policy.low_mean.window_days, 2 * policy.sharp_drop.window_days, 1)

"""The pure core of scoring: tallies, Bangkok-day buckets, windows, standings and coalescing.

No I/O here. The adapters (store.py, processor.py) feed it votes and persisted bucket state, and
it answers what to increment, which standing a district has, and which districts changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from shared import counting
from shared.counting import WINDOW_NAMES, Tally, Window, windows_for, windows_of
from shared.timeutil import iso_utc

__all__ = ["WINDOW_NAMES", "Tally", "Window", "windows_for"]  # the counting rules' own, used here
LATEST_COMMENTS = 10


@dataclass(frozen=True)
class Vote:
    """A parsed vote and where it sits in the log: (partition, offset) is its position."""

    vote_id: str
    district: str
    score: int
    submitted_at: datetime
    received_at: datetime
    partition: int
    offset: int
    comment: str = ""
    voter_key: str | None = None
    flagged: bool = False
    source: str | None = None  # rule 7's (shared/counting.py): who sent it, hashed
    # The vote's fields as loaded (shared.events.load_fields(VoteEvent, …)): its ballot's channel, service, staff.
    wire: Mapping | None = field(default=None, compare=False, repr=False)
    flag_reason: str | None = None  # which flag rule flagged it (shared/flags.py)

    @cached_property
    def day(self) -> date:
        """Rule 5's day, computed once: the bucket, the standing and the ballot all ask for it."""
        return counting.vote_day(self.submitted_at)

    @property
    def voter_day(self) -> str | None:
        """Where the one-vote-per-voter rule is kept (shared/counting.py, rule 3)."""
        return counting.voter_day(self.voter_key, self.district, self.received_at)


def bucket_id(partition: int, day: date) -> str:
    """One bucket document per Bangkok day per votes partition; it holds a tally per district."""
    return f"{day.isoformat()}:p{partition}"


@dataclass
class Bucket:
    """A day of one partition: tallies by district, and the highest offset of the partition applied to it."""

    partition: int
    day: date
    applied_offset: int = -1  # stored as `wm` (the field's first name; kept, see docs/scoring.md)
    tallies: dict[str, Tally] = field(default_factory=dict)
    exists: bool = False

    @property
    def id(self) -> str:
        return bucket_id(self.partition, self.day)


def partition_positions(buckets: Iterable[Bucket]) -> dict[int, int]:
    """partition -> the highest votes.v1 offset applied to any of its buckets (scores.v1 `votes_offset`).

    Votes of a partition are applied in offset order and a standing is published only after its whole
    batch is applied, so a standing computed from these buckets reflects every vote up to that offset.
    """
    out: dict[int, int] = {}
    for bucket in buckets:
        if bucket.exists and bucket.applied_offset > out.get(bucket.partition, -1):
            out[bucket.partition] = bucket.applied_offset
    return out


@dataclass
class Increment:
    """What one batch adds to one bucket, and the applied offset the bucket moves to."""

    bucket: Bucket
    tallies: dict[str, Tally]
    applied_offset: int
    votes: list[Vote]


def plan_increments(votes: Iterable[Vote], buckets: Mapping[str, Bucket],
                    source_cap: int = counting.DEFAULT_SOURCE_CAP) -> list[Increment]:
    """Coalesce a batch per bucket, keeping only votes past the bucket's applied offset; a counted vote's
    source joins its district-day's set while the set is below `source_cap` (rule 7).

    Votes at or below the applied offset were applied by an earlier attempt of this batch (a crash
    after the bucket write and before the offset commit); counting them again would double them.
    """
    grouped: dict[str, Increment] = {}
    for vote in votes:
        bucket = buckets[bucket_id(vote.partition, vote.day)]
        if vote.offset <= bucket.applied_offset:
            continue
        inc = grouped.get(bucket.id)
        if inc is None:
            inc = grouped[bucket.id] = Increment(bucket, {}, bucket.applied_offset, [])
        tally = inc.tallies.setdefault(vote.district, Tally())
        if vote.flagged:
            tally.flagged += 1  # counted apart, never in the official figures
        else:
            tally.add(vote.score, vote.submitted_at)
            stored = bucket.tallies.get(vote.district)
            tally.add_source(vote.source, source_cap, stored.sources if stored else frozenset())
        inc.applied_offset = max(inc.applied_offset, vote.offset)
        inc.votes.append(vote)
    return list(grouped.values())


@dataclass(frozen=True)
class Standing:
    """A district's figures on a Bangkok day: per window (campaign, last 7 and last 30 days) the count,
    sum, mean, histogram and last vote; its latest comments; and the votes partition whose standings
    document holds it (where it is stored, not what a reader sees)."""

    district_code: str
    day: str  # ISO date of the Bangkok day the windows end on
    windows: dict[str, dict]  # window name -> window_json(...)
    latest_comments: list[dict] = field(default_factory=list)
    partition: int = -1
    # The highest votes.v1 offset of its partition this standing reflects: what orders a district's
    # standings for readers (scores.v1 `votes_offset`, docs/events.md). None until computed from buckets.
    votes_offset: int | None = None

    def figures(self) -> dict:
        """What a reader sees: the body of GET /score and of a scores.v1 event."""
        body = {"district_code": self.district_code, "day": self.day, "windows": self.windows,
                "latest_comments": self.latest_comments}
        if self.votes_offset is not None:
            body["votes_offset"] = self.votes_offset
        return body

    def public(self) -> dict:
        """The figures without the comments: what a public route may show (comments are for chiefs)."""
        return {k: v for k, v in self.figures().items() if k != "latest_comments"}

    def same_figures(self, other: Standing | None) -> bool:
        """Equal in what a reader sees (windows and comments), ignoring the day it was computed."""
        return (other is not None and self.windows == other.windows
                and self.latest_comments == other.latest_comments)

    # The stored form (a standings document's `districts.<code>`): the figures and the partition.
    def to_document(self) -> dict:
        return {**self.figures(), "partition": self.partition}

    @classmethod
    def from_document(cls, doc: Mapping) -> Standing:
        return cls(doc["district_code"], doc["day"], doc["windows"], list(doc.get("latest_comments", [])),
                   doc.get("partition", -1), doc.get("votes_offset"))


def standing(district: str, days: Mapping[date, Tally], windows: list[Window], today: date,
             comments: list[dict] | None = None, *, partition: int = -1,
             source_cap: int = counting.DEFAULT_SOURCE_CAP) -> Standing:
    """The district's standing from its daily tallies (summed per window)."""
    return Standing(district, today.isoformat(), windows_of(days, windows, source_cap), list(comments or []),
                    partition)


def merge_comments(current: list[dict], new: Iterable[dict], limit: int = LATEST_COMMENTS) -> list[dict]:
    """Latest comments first, one per vote; idempotent, so a replayed batch changes nothing."""
    by_vote = {c["vote_id"]: c for c in current}
    for c in new:
        by_vote[c["vote_id"]] = c
    return sorted(by_vote.values(), key=lambda c: (c["at"], c["vote_id"]), reverse=True)[:limit]


def comment_entry(vote_id: str, score: int, comment: str, at: datetime) -> dict:
    return {"vote_id": vote_id, "score": score, "comment": comment, "at": iso_utc(at)}

"""The pure core of scoring: tallies, Bangkok-day buckets, windows, standings and coalescing.

No I/O here. The adapters (store.py, processor.py) feed it votes and persisted bucket state, and
it answers what to increment, which standing a district has, and which districts changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from shared.timeutil import bangkok_day, iso_utc
from shared.vote_rules import MAX_SCORE, MIN_SCORE

SCORES = range(MIN_SCORE, MAX_SCORE + 1)
WINDOW_NAMES = ("campaign", "last_7_days", "last_30_days")
LATEST_COMMENTS = 10


@dataclass
class Tally:
    """Count, sum and histogram of scores, and the latest submitted_at: all a window needs.

    `flagged` counts the votes ingest flagged (past a cap or a burst rule): kept apart from the
    official figures, which they never enter, so the central office can review them.
    """

    votes: int = 0
    total: int = 0
    hist: list[int] = field(default_factory=lambda: [0] * len(SCORES))
    last_at: datetime | None = None
    flagged: int = 0

    def add(self, score: int, at: datetime) -> None:
        self.votes += 1
        self.total += score
        self.hist[score - MIN_SCORE] += 1
        if self.last_at is None or at > self.last_at:
            self.last_at = at

    def merge(self, other: Tally) -> None:
        self.flagged += other.flagged
        self.votes += other.votes
        self.total += other.total
        self.hist = [a + b for a, b in zip(self.hist, other.hist, strict=True)]
        if other.last_at is not None and (self.last_at is None or other.last_at > self.last_at):
            self.last_at = other.last_at

    @property
    def mean(self) -> float:
        return round(self.total / self.votes, 4) if self.votes else 0.0

    # The stored form inside a bucket document: short names, one $inc per field.
    def to_fields(self) -> dict:
        doc = {"n": self.votes, "s": self.total, **{f"h{s}": self.hist[s - MIN_SCORE] for s in SCORES},
               "f": self.flagged}
        if self.last_at is not None:
            doc["last"] = self.last_at
        return doc

    @classmethod
    def from_fields(cls, doc: Mapping) -> Tally:
        return cls(doc.get("n", 0), doc.get("s", 0), [doc.get(f"h{s}", 0) for s in SCORES], doc.get("last"),
                   doc.get("f", 0))

    # The stored form since buckets are rewritten by value (docs/store.md, "Values cost"): one JSON text,
    # [votes, sum, h1..h5, flagged, last ISO time or null], instead of ~9 fields FerretDB converts one by one.
    def to_text(self) -> str:
        last = self.last_at.isoformat() if self.last_at is not None else None
        return json.dumps([self.votes, self.total, *self.hist, self.flagged, last], separators=(",", ":"))

    @classmethod
    def from_stored(cls, stored: str | Mapping) -> Tally:
        """From the JSON text, or from the fields documents written before it still hold."""
        if not isinstance(stored, str):
            return cls.from_fields(stored)
        votes, total, *rest = json.loads(stored)
        hist, flagged, last = rest[:len(SCORES)], rest[len(SCORES)], rest[len(SCORES) + 1]
        return cls(votes, total, hist, datetime.fromisoformat(last) if last else None, flagged)

    def plus(self, other: Tally) -> Tally:
        """A new tally: this one with `other` merged (neither changed)."""
        out = Tally(self.votes, self.total, list(self.hist), self.last_at, self.flagged)
        out.merge(other)
        return out


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

    @property
    def day(self) -> date:
        return bangkok_day(self.submitted_at)

    @property
    def voter_day(self) -> str | None:
        """Where the one-vote-per-voter rule is kept: voter, district, Bangkok day of receipt."""
        if not self.voter_key:
            return None
        return f"{self.voter_key}:{self.district}:{bangkok_day(self.received_at).isoformat()}"


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


def plan_increments(votes: Iterable[Vote], buckets: Mapping[str, Bucket]) -> list[Increment]:
    """Coalesce a batch per bucket, keeping only votes past the bucket's applied offset.

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
        inc.applied_offset = max(inc.applied_offset, vote.offset)
        inc.votes.append(vote)
    return list(grouped.values())


@dataclass(frozen=True)
class Window:
    """Inclusive Bangkok days; None means open-ended."""

    name: str
    first: date | None
    last: date | None

    def contains(self, day: date) -> bool:
        return (self.first is None or day >= self.first) and (self.last is None or day <= self.last)


def windows_for(today: date, campaign_start: date | None = None, campaign_end: date | None = None) -> list[Window]:
    """Campaign (configured, default all time), and the last 7 and 30 Bangkok days including today."""
    return [
        Window("campaign", campaign_start, campaign_end),
        Window("last_7_days", today - timedelta(days=6), today),
        Window("last_30_days", today - timedelta(days=29), today),
    ]


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
             comments: list[dict] | None = None, *, partition: int = -1) -> Standing:
    """The district's standing from its daily tallies (summed per window)."""
    figures: dict[str, dict] = {}
    for window in windows:
        tally = Tally()
        for day, day_tally in days.items():
            if window.contains(day):
                tally.merge(day_tally)
        figures[window.name] = window_json(window, tally)
    return Standing(district, today.isoformat(), figures, list(comments or []), partition)


def window_json(window: Window, tally: Tally) -> dict:
    return {
        "from": window.first.isoformat() if window.first else None,
        "to": window.last.isoformat() if window.last else None,
        "votes": tally.votes,
        "sum": tally.total,
        "mean": tally.mean,
        "histogram": {str(s): tally.hist[s - MIN_SCORE] for s in SCORES},
        "last_vote_at": iso_utc(tally.last_at) if tally.last_at else None,
        "flagged": tally.flagged,
    }


def merge_comments(current: list[dict], new: Iterable[dict], limit: int = LATEST_COMMENTS) -> list[dict]:
    """Latest comments first, one per vote; idempotent, so a replayed batch changes nothing."""
    by_vote = {c["vote_id"]: c for c in current}
    for c in new:
        by_vote[c["vote_id"]] = c
    return sorted(by_vote.values(), key=lambda c: (c["at"], c["vote_id"]), reverse=True)[:limit]


def comment_entry(vote_id: str, score: int, comment: str, at: datetime) -> dict:
    return {"vote_id": vote_id, "score": score, "comment": comment, "at": iso_utc(at)}

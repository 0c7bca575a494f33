"""What a vote counts for: the platform's counting rules, in one pure module.

Scoring's processor applies these rules durably (its store keeps the claims); every replay of the log
(scoring's audit, the property tests, the verify of awards closed over votes.v1) applies them in memory
with `LogCounter`. Nobody else decides: readers follow scoring's `ballots.v1` (docs/events.md), and awards
and what-if fold it into day tallies with `BallotCounter`.

The rules, in the order they apply to a vote read from `votes.v1`:
1. a message that is not a valid `votes.v1` event, or names a district outside the registry, is refused;
2. a `vote_id` counts once: its first position in the log decides it, later copies are duplicates (an
   idempotent retry reuses the id and lands in the same partition);
3. one vote per voter per district per Bangkok day of *receipt*: the first holds the day; a later one is
   a `repeat` (ingest's claim refuses most; this is the second line of defence);
4. a vote past a cap or a burst rule (`shared/flags.py`, decided here by received time; or one ingest flagged
   before scoring decided flags) is `flagged`: kept, counted apart, not in the figures;
5. otherwise it is `counted`, on the Bangkok day it was *submitted*;
6. a comment sent later (`comments.v1`) joins its vote, whichever of the two the log holds first; a message
   carries a comment, a praise (`staff`), or both, and the part it leaves empty keeps what an earlier
   message of the vote gave (`FollowUp`): a praise never wipes a comment, nor a comment a praise;
7. a counted vote's source (`source_key`; `voter_key` on votes written before it) joins its district-day's
   set of sources, which keeps at most `cap` (MIN_SOURCES) of them: a window's union of such capped sets
   reaches `cap` exactly when the union of the full sets does, so `sources` (up to `cap`) is exact for
   eligibility's test "at least `cap` distinct sources" at a bounded cost per district-day. A counted
   vote's ballot carries its source as `source_ref` (`source_ref()`: a pseudonym within its district,
   one-to-one there, so a reader of ballots counts the same distinct sources).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from shared.events import (
    BALLOT_COMMENT,
    BALLOT_VOTE,
    COUNTED,
    FLAGGED,
    REPEAT,
    BallotEvent,
    CommentEvent,
    VoteEvent,
)
from shared.flags import MemoryFlags
from shared.timeutil import bangkok_day, iso_utc
from shared.vote_rules import MAX_SCORE, MIN_SCORE

SCORES = range(MIN_SCORE, MAX_SCORE + 1)
WINDOW_NAMES = ("campaign", "last_7_days", "last_30_days")
DEFAULT_SOURCE_CAP = 5  # shared.config.Settings.min_sources's default


def source_of(vote: Mapping) -> str | None:
    """Rule 7's source of a vote's fields: its `source_key`, or the `voter_key` of a vote written before it."""
    return vote.get("source_key") or vote.get("voter_key")


def source_ref(district: str, source: str | None) -> str | None:
    """Rule 7's source as a ballot carries it: a pseudonym of the (already hashed) source within its district.

    Why not the source itself: for the web and LINE channels it is the voter's key, and ballots.v1 publishes no
    voter identity, hashed or not (docs/events.md). Counting distinct sources per district-day and window only
    needs one name per source within a district, which this is (SHA-256, 128 bits kept: a collision is out of
    reach); the same source in two districts has two unrelated refs, so no ballot reader can link them."""
    if not source:
        return None
    return hashlib.sha256(f"{district}:{source}".encode()).hexdigest()[:32]


def vote_day(submitted_at: datetime) -> date:
    """The Bangkok day a vote counts on (rule 5): the day the citizen voted."""
    return bangkok_day(submitted_at)


def voter_day(voter_key: str | None, district: str, received_at: datetime) -> str | None:
    """Where rule 3 is kept: voter, district, Bangkok day of receipt. None for a vote without a voter."""
    if not voter_key:
        return None
    return f"{voter_key}:{district}:{bangkok_day(received_at).isoformat()}"


def decide(*, repeat_of_day: bool, flagged: bool) -> str:
    """Rules 3-5 for a vote that is the first of its `vote_id`."""
    if repeat_of_day:
        return REPEAT
    return FLAGGED if flagged else COUNTED


@dataclass(frozen=True)
class FollowUp:
    """Rule 6's join: what the later messages of one vote said, the latest comment and the latest praise.

    One rule for every place that keeps it (scoring's store as `follow_up_sets`, `LogCounter` in memory):
    a message's empty part (`comment` "", `staff` None) leaves the earlier one as it was."""

    comment: str = ""
    comment_at: datetime | None = None
    staff: str | None = None

    def joined(self, event: CommentEvent) -> FollowUp:
        return FollowUp(event.comment or self.comment, event.received_at if event.comment else self.comment_at,
                        event.staff or self.staff)


def follow_up_sets(comment: str, at: datetime, staff: str | None) -> dict:
    """The fields a message sets on its vote's record in scoring's store (`c`, `ca`, `st`): only its own
    non-empty parts, as `FollowUp.joined` keeps them, so a praise never wipes a comment nor the reverse."""
    return {**({"c": comment, "ca": at} if comment else {}), **({"st": staff} if staff else {})}


def ballot_fields(vote: Mapping, decision: str, offset: int, *, day: date | None = None,
                  comment: str | None = None, comment_at: datetime | None = None, staff: str | None = None) -> dict:
    """A decided vote's ballot fields, from the vote's own (a VoteEvent's, or the fields scoring loaded);
    `comment` and `staff` are an earlier-arrived message's joined (the vote's own win); `day`, when the
    caller has it (rule 5's) already."""
    text = vote["comment"] or (comment or "")
    at = (vote["received_at"] if vote["comment"] else comment_at) if text else None
    return {"vote_id": vote["vote_id"], "district_code": vote["district_code"], "kind": BALLOT_VOTE,
            "decision": decision, "day": (day or vote_day(vote["submitted_at"])).isoformat(), "score": vote["score"],
            "comment": text, "submitted_at": vote["submitted_at"], "channel": vote["channel"],
            "service": vote["service"], "staff": vote["staff"] or staff or None, "received_at": vote["received_at"],
            "comment_at": at, "flag_reason": vote["flag_reason"] if decision == FLAGGED else None,
            "votes_offset": offset,
            "source_ref": source_ref(vote["district_code"], source_of(vote)) if decision == COUNTED else None}


def ballot_of(vote: VoteEvent, decision: str, offset: int, *, early: FollowUp | None = None) -> BallotEvent:
    """The decided vote as `ballots.v1` publishes it, with what earlier-arrived messages said (`early`)."""
    early = early or FollowUp()
    return BallotEvent(**ballot_fields(vote.__dict__, decision, offset, comment=early.comment,
                                       comment_at=early.comment_at, staff=early.staff))


def comment_ballot(comment: CommentEvent, decision: str, score: int, submitted_at: datetime) -> BallotEvent:
    """A message that reached an already decided vote (rule 6), as a follow-up ballot carrying its own parts:
    its comment ("" on a praise alone; `comment_at` then null) and its praise (`staff`); readers keep the
    part it leaves empty as it was (services/notify/feedback.py)."""
    return BallotEvent(comment.vote_id, comment.district_code, BALLOT_COMMENT, decision,
                       vote_day(submitted_at).isoformat(), score, comment.comment, submitted_at,
                       comment.channel, None, comment.staff or None, None,
                       comment.received_at if comment.comment else None, None, -1)


@dataclass
class Tally:
    """Count, sum and histogram of counted scores, the latest submitted_at, and the flagged votes kept
    apart (they never enter the figures): all a window needs."""

    votes: int = 0
    total: int = 0
    hist: list[int] = field(default_factory=lambda: [0] * len(SCORES))
    last_at: datetime | None = None
    flagged: int = 0
    # Rule 7: distinct sources of the counted votes, at most the cap per district-day (what a bucket keeps).
    sources: set[str] = field(default_factory=set)

    def add_source(self, source: str | None, cap: int, held: Set[str] = frozenset()) -> None:
        """Keep a new `source` while the day's set (`held`: what its bucket stores already, plus ours) is
        below the cap: a batch's increment then never takes a bucket past it."""
        if source and source not in self.sources and source not in held and len(held) + len(self.sources) < cap:
            self.sources.add(source)

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
        self.sources |= other.sources

    @classmethod
    def sum_of(cls, tallies: Sequence[Tally]) -> Tally:
        """A new tally: all of `tallies` merged (none changed). The same as merging them one by one into an
        empty tally, in one pass per field: a district's windows on an aged store sum ~60 days at every batch
        that touches it, and merging day by day was a third of the scoring consumer's time (issue 24)."""
        if not tallies:
            return cls()
        lasts = [t.last_at for t in tallies if t.last_at is not None]
        return cls(sum(t.votes for t in tallies), sum(t.total for t in tallies),
                   [sum(column) for column in zip(*(t.hist for t in tallies), strict=True)],
                   max(lasts) if lasts else None, sum(t.flagged for t in tallies),
                   set().union(*(t.sources for t in tallies)))

    def plus(self, other: Tally) -> Tally:
        """A new tally: this one with `other` merged (neither changed)."""
        out = Tally(self.votes, self.total, list(self.hist), self.last_at, self.flagged, set(self.sources))
        out.merge(other)
        return out

    @property
    def mean(self) -> float:
        return round(self.total / self.votes, 4) if self.votes else 0.0

    # The stored form inside a bucket document: short names (documents written before the JSON text).
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

    # One JSON text, [votes, sum, h1..h5, flagged, last ISO time or null, sources…] (docs/store.md, "Values
    # cost"); the sources (rule 7, at most the cap) follow only when there are any.
    def to_text(self) -> str:
        last = self.last_at.isoformat() if self.last_at is not None else None
        return json.dumps([self.votes, self.total, *self.hist, self.flagged, last, *sorted(self.sources)],
                          separators=(",", ":"))

    @classmethod
    def from_stored(cls, stored: str | Mapping) -> Tally:
        """From the JSON text, or from the fields documents written before it still hold."""
        if not isinstance(stored, str):
            return cls.from_fields(stored)
        votes, total, *rest = json.loads(stored)
        hist, flagged, last = rest[:len(SCORES)], rest[len(SCORES)], rest[len(SCORES) + 1]
        return cls(votes, total, hist, datetime.fromisoformat(last) if last else None, flagged,
                   set(rest[len(SCORES) + 2:]))


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


def window_json(window: Window, tally: Tally, cap: int = DEFAULT_SOURCE_CAP) -> dict:
    """A window's figures as `scores.v1` carries them; `sources` counted up to the cap (rule 7)."""
    return {
        "from": window.first.isoformat() if window.first else None,
        "to": window.last.isoformat() if window.last else None,
        "votes": tally.votes,
        "sum": tally.total,
        "mean": tally.mean,
        "histogram": {str(s): tally.hist[s - MIN_SCORE] for s in SCORES},
        "last_vote_at": iso_utc(tally.last_at) if tally.last_at else None,
        "flagged": tally.flagged,
        "sources": min(len(tally.sources), cap),
    }


def windows_of(days: Mapping[date, Tally], windows: Iterable[Window],
               cap: int = DEFAULT_SOURCE_CAP) -> dict[str, dict]:
    """A district's daily tallies summed per window, each in the scores.v1 shape."""
    out: dict[str, dict] = {}
    items = list(days.items())
    for window in windows:
        out[window.name] = window_json(window, Tally.sum_of([t for day, t in items if window.contains(day)]), cap)
    return out


def figures_of(days: Mapping[str, Mapping[date, Tally]], windows: Sequence[Window],
               cap: int = DEFAULT_SOURCE_CAP) -> dict[str, dict]:
    """Every district's day tallies as its figures (`{"windows": …}`, what ranking stores): a replay's answer."""
    return {code: {"windows": windows_of(district_days, windows, cap)} for code, district_days in days.items()}


@dataclass
class _ClosedSums:
    """One district's cached sums: per window, the tallies of the parts that are not today's."""

    today: date
    windows: tuple[Window, ...]
    parts: frozenset  # the parts summed in (every part of the district whose day is not `today`)
    sums: tuple[Tally, ...]  # per window, in `windows`' order


class WindowCache:
    """A district's windows as `windows_of` sums them, without summing its unchanged days at every batch.

    Per district it keeps, for each window, the sum of its parts (a part: one bucket's tally of the
    district, named by the caller, e.g. the bucket id) whose day is not today's; a call then adds only
    today's parts to those sums. The sums are exact, not an approximation: a tally's merge is a sum of
    counts, a union of sources and a maximum of times, so any grouping of the days gives the same tally.
    They are rebuilt from every part when the day (Bangkok midnight) or the windows (the campaign's
    start and end) differ from those they were built for, when a part the sums do not hold has a day
    other than today, and whenever the caller says that a part of a day other than today changed,
    appeared or vanished (`changed`), or that its whole view went (`clear`). Memory: one small entry per
    district (three tallies and the set of its parts' names)."""

    def __init__(self) -> None:
        self._entries: dict[str, _ClosedSums] = {}
        self.rebuilds = 0  # how many times a district's sums were built from all its parts (tests, measures)

    def clear(self) -> None:
        self._entries.clear()

    def changed(self, district: str, day: date | None = None) -> None:
        """A part of this district changed (a late or backdated vote, a bucket read again): its sums go
        unless the day is today's of the sums (None: any day)."""
        entry = self._entries.get(district)
        if entry is not None and (day is None or day != entry.today):
            del self._entries[district]

    def windows(self, district: str, parts: Set, part_of: Callable[[object], tuple[date, Tally | None]],
                windows: Sequence[Window], today: date, cap: int = DEFAULT_SOURCE_CAP) -> dict[str, dict]:
        """The district's windows in the scores.v1 shape, as `windows_of` would give for the days its
        `parts` hold (`part_of(part)`: the part's day and its tally of the district, or None)."""
        windows = tuple(windows)
        entry = self._entries.get(district)
        today_tallies: list[Tally] = []
        if entry is not None and entry.today == today and entry.windows == windows and entry.parts <= parts:
            for part in parts - entry.parts:
                day, tally = part_of(part)
                if day != today:  # a past or future part the sums do not hold: build them again
                    entry = None
                    break
                if tally is not None:
                    today_tallies.append(tally)
        else:
            entry = None
        if entry is None:
            entry, today_tallies = self._build(parts, part_of, windows, today)
            self._entries[district] = entry
        out: dict[str, dict] = {}
        todays = Tally.sum_of(today_tallies) if today_tallies else None
        for window, closed in zip(windows, entry.sums, strict=True):
            tally = closed.plus(todays) if todays is not None and window.contains(today) else closed
            out[window.name] = window_json(window, tally, cap)
        return out

    def _build(self, parts: Set, part_of: Callable[[object], tuple[date, Tally | None]],
               windows: tuple[Window, ...], today: date) -> tuple[_ClosedSums, list[Tally]]:
        self.rebuilds += 1
        closed: list[tuple[date, Tally]] = []
        closed_parts, today_tallies = [], []
        for part in parts:
            day, tally = part_of(part)
            if day == today:
                if tally is not None:
                    today_tallies.append(tally)
                continue
            closed_parts.append(part)
            if tally is not None:
                closed.append((day, tally))
        sums = tuple(Tally.sum_of([t for day, t in closed if window.contains(day)]) for window in windows)
        return _ClosedSums(today, windows, frozenset(closed_parts), sums), today_tallies


class DayTallies:
    """What a replay answers from its per-district day tallies (`days`, `source_cap`), whichever log it folded:
    `LogCounter` (votes.v1, the rules applied again) and `BallotCounter` (ballots.v1, scoring's decisions)."""

    days: dict[str, dict[date, Tally]]
    source_cap: int

    @property
    def counted(self) -> int:
        return sum(t.votes for days in self.days.values() for t in days.values())

    @property
    def flagged(self) -> int:
        return sum(t.flagged for days in self.days.values() for t in days.values())

    def figures(self, today: date, campaign_start: date | None = None,
                campaign_end: date | None = None) -> dict[str, dict]:
        """Each district's windows in the scores.v1 shape (what ranking stores as its figures)."""
        return figures_of(self.days, windows_for(today, campaign_start, campaign_end), self.source_cap)


@dataclass
class LogCounter(DayTallies):
    """The counting rules over a log held in memory: what a replay (awards, what-if, audit checks, tests)
    counts. Feed it the log's records in any interleaving of partitions and topics that keeps each
    partition's order; it answers the ballots scoring publishes for the same log."""

    codes: frozenset[str]
    seen: set[str] = field(default_factory=set)
    held_days: set[str] = field(default_factory=set)
    votes: dict[str, BallotEvent] = field(default_factory=dict)  # vote_id -> its decided ballot
    early_comments: dict[str, FollowUp] = field(default_factory=dict)
    days: dict[str, dict[date, Tally]] = field(default_factory=dict)
    duplicates: int = 0
    refused: int = 0
    source_cap: int = DEFAULT_SOURCE_CAP
    flags: MemoryFlags = field(default_factory=MemoryFlags)

    def vote(self, event: VoteEvent | None, offset: int = -1) -> BallotEvent | None:
        """Rules 1-5 for one votes.v1 record (None: refused by rule 1); None also for a duplicate."""
        if event is None or event.district_code not in self.codes:
            self.refused += 1
            return None
        if event.vote_id in self.seen:
            self.duplicates += 1
            return None
        self.seen.add(event.vote_id)
        key = voter_day(event.voter_key, event.district_code, event.received_at)
        repeat = key is not None and key in self.held_days
        if key is not None and not repeat:
            self.held_days.add(key)
        early = self.early_comments.pop(event.vote_id, None)
        reason = None if repeat else self.flags.judge(event.__dict__)
        if event.flagged:  # flagged by ingest before scoring decided the flags: it stays flagged
            reason = event.flag_reason or reason
        decision = decide(repeat_of_day=repeat, flagged=event.flagged or reason is not None)
        early = early or FollowUp()
        ballot = BallotEvent(**ballot_fields({**event.__dict__, "flag_reason": reason}, decision, offset,
                                             comment=early.comment, comment_at=early.comment_at, staff=early.staff))
        self.votes[event.vote_id] = ballot
        tally = self.days.setdefault(event.district_code, {}).setdefault(vote_day(event.submitted_at), Tally())
        if decision == COUNTED:
            tally.add(event.score, event.submitted_at)
            tally.add_source(source_of(event.__dict__), self.source_cap)
        elif decision == FLAGGED:
            tally.flagged += 1
        return ballot

    def comment(self, event: CommentEvent | None) -> BallotEvent | None:
        """Rule 6: a follow-up ballot when the vote was decided already; otherwise it waits for the vote."""
        if event is None or event.district_code not in self.codes:
            self.refused += 1
            return None
        decided = self.votes.get(event.vote_id)
        if decided is None:
            self.early_comments[event.vote_id] = self.early_comments.get(event.vote_id, FollowUp()).joined(event)
            return None
        return comment_ballot(event, decided.decision, decided.score, decided.submitted_at)

    @property
    def repeats(self) -> int:
        return sum(1 for b in self.votes.values() if b.decision == REPEAT)


@dataclass
class BallotCounter(DayTallies):
    """What scoring decided (`ballots.v1`), folded into per-district day tallies: what an award and a what-if
    count, so that they state the figures of the public board (scoring's standings), not a recount of votes.v1.

    Only `vote` ballots are votes (a `comment` ballot repeats its vote's decision). Ballots are at least once:
    a `vote_id` is taken once, by its first ballot (a replayed batch decides it the same way, docs/events.md),
    except that a later copy may complete a counted vote's rule-7 source when the first carried none (a ballot
    written before `source_ref` existed, published again by `sangsuk ballots backfill`). A counted ballot goes
    into its day's tally (score, submitted_at, source), a flagged one is counted apart as flagged, a repeat is
    counted as a repeat; every one opens its district-day as `LogCounter` does, so both give the same figures
    for the same decisions. Ballots of districts outside `codes` are refused."""

    codes: frozenset[str]
    source_cap: int = DEFAULT_SOURCE_CAP
    days: dict[str, dict[date, Tally]] = field(default_factory=dict)
    # vote_id -> True once its source is known (or needs none): a copy adds nothing then.
    seen: dict[str, bool] = field(default_factory=dict)
    repeats: int = 0
    redelivered: int = 0  # copies of a vote's ballot (at least once), skipped
    refused: int = 0  # ballots of a district outside `codes`
    without_source: int = 0  # counted votes whose ballot carries no source (older records): rule 7 misses them

    def ballot(self, ballot: BallotEvent) -> bool:
        """Fold one ballot; True when it was the first of its vote (a `comment` ballot or a copy: False)."""
        if ballot.kind != BALLOT_VOTE:
            return False
        if ballot.district_code not in self.codes:
            self.refused += 1
            return False
        known = self.seen.get(ballot.vote_id)
        if known is not None:
            self.redelivered += 1
            if not known and ballot.source_ref and ballot.decision == COUNTED:
                self._tally(ballot).add_source(ballot.source_ref, self.source_cap)
                self.seen[ballot.vote_id] = True
                self.without_source -= 1
            return False
        tally = self._tally(ballot)
        complete = True
        if ballot.decision == COUNTED:
            tally.add(ballot.score, ballot.submitted_at)
            tally.add_source(ballot.source_ref, self.source_cap)
            complete = ballot.source_ref is not None
            self.without_source += 0 if complete else 1
        elif ballot.decision == FLAGGED:
            tally.flagged += 1
        else:
            self.repeats += 1
        self.seen[ballot.vote_id] = complete
        return True

    def _tally(self, ballot: BallotEvent) -> Tally:
        return self.days.setdefault(ballot.district_code, {}).setdefault(date.fromisoformat(ballot.day), Tally())

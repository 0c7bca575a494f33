"""Scoring's processor (shared/stream): one polled batch is parsed, its votes recorded, bucket increments
applied, and the touched districts' standings recomputed, published and stored.

The processor owns the in-memory view of the buckets of its assigned partitions (the state store,
in Kafka Streams terms). The view is only a read cache: every write is conditional on the
applied offset it was read with, so a stale view costs a re-read, never a wrong count.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Protocol

from services.scoring import domain
from services.scoring.domain import Bucket, Standing, Tally, Vote
from services.scoring.flags import FlagJudge
from services.scoring.store import VOTER_DAY_DUPLICATE, ScoringStore
from shared import counting
from shared.config import Topics
from shared.districts import Registry
from shared.events import (
    COUNTED,
    FLAGGED,
    REPEAT,
    BallotEvent,
    CommentEvent,
    EventError,
    ScoresEvent,
    VoteEvent,
    ballots_record,
    canonical_time,
    decode,
    json_object,
    load_fields,
)
from shared.flags import FlagRule, FlagSettings
from shared.stream.ports import Assignment, Record
from shared.timeutil import bangkok_day

log = logging.getLogger(__name__)

MAX_CONFLICT_RETRIES = 20
STANDINGS_WRITERS = 4  # partition documents written at once (each its own `_id`)


class Output(Protocol):
    """Where events and dead letters go: shared.stream's Sink, or the audit's discarding stand-in."""

    def send(self, topic: str, key: bytes | None, value: bytes) -> None: ...
    def dead_letter(self, record: Record, reason: str) -> None: ...


@dataclass
class BatchReport:
    applied: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    replayed: int = 0
    published: int = 0
    ballots: int = 0
    applied_votes: list[Vote] = field(default_factory=list)


@dataclass(frozen=True)
class Windows:
    campaign_start: date | None = None
    campaign_end: date | None = None
    # Distinct sources are kept and published up to this (MIN_SOURCES: shared/counting.py, rule 7).
    source_cap: int = counting.DEFAULT_SOURCE_CAP

    def at(self, today: date) -> list[domain.Window]:
        return domain.windows_for(today, self.campaign_start, self.campaign_end)


class ScoringProcessor:
    """handle / forget / tick, as the stream runtime calls them (docs/stream.md)."""

    def __init__(self, store: ScoringStore, registry: Registry, output: Output, *, topics: Topics,
                 windows: Windows, clock: Callable[[], datetime], flag_rules: dict[str, list[FlagRule]] | None = None):
        self.store, self.registry, self.output = store, registry, output
        self.topics, self.windows, self.clock = topics, windows, clock
        self.flags = FlagJudge(store, FlagSettings().rules() if flag_rules is None else flag_rules)
        self._writers = ThreadPoolExecutor(max_workers=STANDINGS_WRITERS, thread_name_prefix="scoring-standings")
        self.forget()

    def forget(self) -> None:
        """Drop the view (after a rebalance another consumer may have written our partitions); the
        rolling windows are refreshed again at the next tick."""
        self.flags.forget()  # the flag counters' view too: another consumer may have written them
        self.buckets: dict[str, Bucket] = {}
        self.loaded: set[int] = set()
        self.standings: dict[str, Standing] = {}
        self.partition_of: dict[str, int] = {}
        self.bucket_ids_of: dict[str, set[str]] = defaultdict(set)
        self.refreshed_for: tuple[date, frozenset[int]] | None = None
        # Each district's windows summed over its days other than today (shared.counting.WindowCache): told
        # of every change to a bucket below (_remember, _absorb, _reread) and dropped with the view here.
        self.window_sums = counting.WindowCache()

    # ------------------------------------------------------------------ the batch

    def handle(self, messages: Sequence[Record]) -> BatchReport:
        report = BatchReport()
        votes, comments = [], []
        for message in messages:
            try:
                if message.topic == self.topics.comments:
                    comments.append((message, self._parse_comment(message.value)))
                else:
                    votes.append(self._parse_vote(message))
            except EventError as exc:  # a poison message, not a crash: it goes aside with its reason
                self.output.dead_letter(message, exc.reason)
                report.dead_letters += 1
        self._load({v.partition for v in votes} | {m.partition for m, _ in comments})

        votes = self.flags.judge(votes)  # decided before they are recorded: the record keeps the decision
        recorded = self.store.record_votes(votes)
        self.flags.commit(recorded.to_count)
        report.duplicates = len(recorded.duplicates)
        new_votes = self._apply(recorded.to_count)
        report.applied = len(new_votes)
        report.replayed = len(recorded.to_count) - len(new_votes)
        report.applied_votes = new_votes

        fresh_comments: dict[str, list[dict]] = defaultdict(list)
        for v in recorded.to_count:
            self.partition_of[v.district] = v.partition
            if v.comment:
                fresh_comments[v.district].append(domain.comment_entry(v.vote_id, v.score, v.comment, v.received_at))
            elif v.vote_id in recorded.early_comments and recorded.early_comments[v.vote_id].comment:
                early = recorded.early_comments[v.vote_id]
                fresh_comments[v.district].append(domain.comment_entry(v.vote_id, v.score, early.comment,
                                                                       early.comment_at or v.received_at))
        ballots = self._vote_ballots(recorded)
        for _message, event in comments:
            vote = self.store.attach_comment(event.vote_id, event.district_code, event.comment, event.received_at,
                                             event.staff)
            if vote is not None:
                ballot = _comment_ballot(event, vote)
                ballots.append(ballot.__dict__)
                if ballot.decision == REPEAT or not event.comment:
                    continue  # a repeat's words are not shown as counted; a praise alone is no public comment
                self.partition_of.setdefault(vote["d"], vote["p"])
                fresh_comments[vote["d"]].append(
                    domain.comment_entry(event.vote_id, vote["s"], event.comment, event.received_at))
        # Every decided vote (and late comment), before the standings: the checkpoint acknowledges both
        # before it commits, so a crash replays the batch and its ballots, never skips them. One record per
        # district per batch (shared.events.ballots_record says why), in log order within it.
        by_district: dict[str, list[Mapping]] = defaultdict(list)
        for ballot in ballots:
            by_district[ballot["district_code"]].append(ballot)
        for district, theirs in by_district.items():
            self.output.send(self.topics.ballots, district.encode("ascii"), ballots_record(district, theirs))
        report.ballots = len(ballots)

        touched = {v.district for v in recorded.to_count} | set(fresh_comments)
        report.published = self._publish(touched, fresh_comments, only_changed=False)
        return report

    def _vote_ballots(self, recorded) -> list[Mapping]:
        """Each vote recorded in this batch as decided (counted, flagged, or a repeat of the voter's day).

        A vote counted again on replay (our own earlier attempt) is decided again the same way, so its
        ballot is the same; a copy of a vote_id at another log position is no vote and has no ballot.
        """
        out: list[Mapping] = []
        for vote in recorded.to_count:
            out.append(_vote_ballot(vote, counting.decide(repeat_of_day=False, flagged=vote.flagged),
                                    recorded.early_comments.get(vote.vote_id)))
        for vote in recorded.duplicates:
            if recorded.reasons.get(vote.vote_id) == VOTER_DAY_DUPLICATE:
                out.append(_vote_ballot(vote, REPEAT, recorded.early_comments.get(vote.vote_id)))
        return out

    def tick(self, now: datetime, assigned: Assignment) -> BatchReport | None:
        """Rolling windows: at start, after each rebalance or failure (forget) and when the Bangkok day
        changes, recompute every district of our votes partitions and publish those that changed."""
        partitions = frozenset(tp.partition for tp in assigned if tp.topic == self.topics.votes)
        due = (bangkok_day(now), partitions)
        if not partitions or due == self.refreshed_for:
            return None
        published = self.refresh(partitions)
        self.refreshed_for = due
        log.info("rolling windows refreshed", extra={"day": due[0].isoformat(), "changed": published})
        return BatchReport(published=published)

    def refresh(self, partitions: Iterable[int]) -> int:
        """Move the rolling windows to today for every district of these partitions; publish what changed."""
        partitions = set(partitions)
        self._load(partitions)
        districts = {d for d, p in self.partition_of.items() if p in partitions}
        return self._publish(districts, {}, only_changed=True)

    # ------------------------------------------------------------------ steps

    def _parse_vote(self, message: Record) -> Vote:
        # The fields, not a VoteEvent: building one per vote cost scoring 3 µs of its ~37 (bench-ballots).
        data = json_object(message.value)
        fields = load_fields(VoteEvent, data)
        if fields["district_code"] not in self.registry:
            raise EventError(f"invalid: unknown district {fields['district_code']}")
        vote = Vote(fields["vote_id"], fields["district_code"], fields["score"], fields["submitted_at"],
                    fields["received_at"], message.partition, message.offset, fields["comment"],
                    voter_key=fields["voter_key"], flagged=fields["flagged"], source=counting.source_of(fields),
                    wire=fields, flag_reason=fields["flag_reason"] if fields["flagged"] else None)
        # The ballot carries the vote's times as ingest wrote them (formatting them again cost ~3 µs a vote).
        for name in ("submitted_at", "received_at"):
            fields[name] = canonical_time(data[name]) or fields[name]
        return vote

    def _parse_comment(self, raw: bytes | None) -> CommentEvent:
        event = decode(CommentEvent, raw)
        if event.district_code not in self.registry:
            raise EventError(f"invalid: unknown district {event.district_code}")
        return event

    def _load(self, partitions: set[int]) -> None:
        missing = partitions - self.loaded
        if not missing:
            return
        for partition in sorted(missing):  # equality per partition: `$in` is not pushed down (docs/store.md)
            for bucket in self.store.load_buckets({"p": partition}):
                self._remember(bucket)
        for district, standing in self.store.load_standings(missing).items():
            self.standings[district] = standing
            self.partition_of.setdefault(district, standing.partition)
        self.loaded |= missing

    def _remember(self, bucket: Bucket) -> None:
        old = self.buckets.get(bucket.id)
        for district in old.tallies if old is not None else ():
            self.window_sums.changed(district, bucket.day)
        self.buckets[bucket.id] = bucket
        for district in bucket.tallies:
            self.window_sums.changed(district, bucket.day)
            self.bucket_ids_of[district].add(bucket.id)
            self.partition_of.setdefault(district, bucket.partition)

    def _apply(self, votes: list[Vote]) -> list[Vote]:
        """Step 2: conditional increments; a bucket that moved under us is re-read and re-planned."""
        for v in votes:
            key = domain.bucket_id(v.partition, v.day)
            if key not in self.buckets:
                self.buckets[key] = Bucket(v.partition, v.day)
        applied: list[Vote] = []
        pending = votes
        for _ in range(MAX_CONFLICT_RETRIES):
            conflicted: list[Vote] = []
            for inc in domain.plan_increments(pending, self.buckets, self.windows.source_cap):
                if self.store.apply(inc):
                    self._absorb(inc)
                    applied.extend(inc.votes)
                else:
                    self._reread(inc.bucket)
                    conflicted.extend(inc.votes)
            if not conflicted:
                return applied
            pending = conflicted
        raise RuntimeError("bucket writes kept conflicting; another consumer owns these partitions")

    def _absorb(self, inc: domain.Increment) -> None:
        bucket = inc.bucket
        bucket.exists = True
        bucket.applied_offset = inc.applied_offset
        for district, tally in inc.tallies.items():
            bucket.tallies.setdefault(district, Tally()).merge(tally)
            self.bucket_ids_of[district].add(bucket.id)
            self.window_sums.changed(district, bucket.day)  # a late or backdated vote changes a closed day

    def _reread(self, bucket: Bucket) -> None:
        for district in self.buckets[bucket.id].tallies:  # what it held goes, whatever it holds now
            self.window_sums.changed(district, bucket.day)
        fresh = self.store.load_buckets({"_id": bucket.id})
        self.buckets[bucket.id] = fresh[0] if fresh else Bucket(bucket.partition, bucket.day)
        if fresh:
            self._remember(fresh[0])

    def _days_of(self, district: str) -> dict[date, Tally]:
        """The district's tally per day. A day is one bucket's tally as it is (read only from here on), a
        merged copy only where two buckets hold the same day: copying every day of an aged store (~60) at
        every batch was a fifth of the consumer's time (issue 24)."""
        days: dict[date, Tally] = {}
        for key in self.bucket_ids_of.get(district, ()):
            bucket = self.buckets[key]
            tally = bucket.tallies.get(district)
            if tally is not None:
                held = days.get(bucket.day)
                days[bucket.day] = tally if held is None else held.plus(tally)
        return days

    def compute(self, district: str, new_comments: list[dict] | None = None) -> Standing:
        today = bangkok_day(self.clock())
        previous = self.standings.get(district)
        comments = domain.merge_comments(previous.latest_comments if previous else [], new_comments or [])
        windows = self.window_sums.windows(district, self.bucket_ids_of.get(district, frozenset()),
                                           lambda key: self._part_of(key, district), self.windows.at(today), today,
                                           self.windows.source_cap)
        return domain.Standing(district, today.isoformat(), windows, comments,
                               self.partition_of.get(district, -1))

    def _part_of(self, key: str, district: str) -> tuple[date, Tally | None]:
        bucket = self.buckets[key]
        return bucket.day, bucket.tallies.get(district)

    def compute_uncached(self, district: str) -> dict[str, dict]:
        """The district's windows summed from all its days (what the cache is held to, in the tests)."""
        today = bangkok_day(self.clock())
        return counting.windows_of(self._days_of(district), self.windows.at(today), self.windows.source_cap)

    def _publish(self, districts: set[str], comments: dict[str, list[dict]], *, only_changed: bool) -> int:
        """Step 3: recompute standings, store them per partition, publish one event per district."""
        by_partition: dict[int, dict[str, Standing]] = defaultdict(dict)
        out: list[Standing] = []
        positions = domain.partition_positions(self.buckets.values())
        for district in sorted(districts):
            new = self.compute(district, comments.get(district))
            # What orders this district's standings for their readers (scores.v1 `votes_offset`).
            new = replace(new, votes_offset=positions.get(new.partition, -1))
            if only_changed and new.same_figures(self.standings.get(district)):
                continue
            by_partition[new.partition][district] = new
            out.append(new)
        # Publish first: the producer sends while the store writes (the runtime flushes and commits
        # only after both), so an event does not wait for the standings documents.
        now = self.clock()
        for standing in out:
            event = ScoresEvent(standing.district_code, standing.day, now, standing.windows,
                                tuple(standing.latest_comments), standing.votes_offset)
            self.output.send(self.topics.scores, event.key, event.to_bytes())
        # One keyed write per partition document, side by side: one after another they were ~12 round trips
        # of ~10 ms each on a busy machine at every batch (issue 24). All are waited for before a failure is
        # raised, so no write of a failed attempt lands after its retry's.
        writes = [self._writers.submit(self.store.save_standings, partition, standings)
                  for partition, standings in by_partition.items()]
        futures.wait(writes)
        for write in writes:
            write.result()
        for standings in by_partition.values():
            self.standings.update(standings)
        return len(out)


def _vote_ballot(vote: Vote, decision: str, early: counting.FollowUp | None) -> Mapping:
    early = early or counting.FollowUp()
    return counting.ballot_fields(vote.wire, decision, vote.offset, day=vote.day, comment=early.comment,
                                  comment_at=early.comment_at, staff=early.staff)


def _comment_ballot(event: CommentEvent, vote: dict) -> BallotEvent:
    """A late comment's ballot carries its vote's decision, as the vote's record in the store keeps it."""
    decision = REPEAT if vote.get("dup") else FLAGGED if vote.get("f") else COUNTED
    submitted = vote["t"] if vote["t"].tzinfo else vote["t"].replace(tzinfo=UTC)
    return counting.comment_ballot(event, decision, vote["s"], submitted)

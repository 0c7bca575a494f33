"""Rebuild every district's figures straight from votes.v1, without any store: awards and what-if.

The rules are scoring's (docs/scoring.md): a vote counts once per `vote_id` (the first position in
the log wins; a retry reuses the id and lands in the same partition), a message that fails the
votes.v1 schema or names a district outside the registry does not count, the first vote of a voter
for a district on a Bangkok day of receipt holds that day (scoring's `Vote.voter_day`) and later ones
do not count, a vote ingest flagged is counted apart and not in the figures, a vote belongs to the
Bangkok day it was submitted, and the windows are those of `services.scoring.domain.windows_for`.
The log is read from its beginning up to fixed end offsets, so a rebuild is reproducible.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from marshmallow import ValidationError

from services.scoring.domain import Vote, windows_for
from shared.config import Settings
from shared.events import VoteEventSchema, load_vote_event_fast
from shared.timeutil import bangkok_day

_SCHEMA = VoteEventSchema()


@dataclass
class LogTallies:
    """Per district, per Bangkok day: [votes, sum, h1..h5]."""

    codes: frozenset[str]
    days: dict[str, dict[date, list[int]]] = field(default_factory=lambda: defaultdict(dict))
    seen: set[str] = field(default_factory=set)
    voter_days: set[str] = field(default_factory=set)
    counted: int = 0
    duplicates: int = 0
    flagged: int = 0
    refused: int = 0

    def add(self, raw: bytes | None) -> None:
        try:
            data = json.loads(raw.decode("utf-8")) if raw is not None else None
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            vote = load_vote_event_fast(data) or _SCHEMA.load(data)
        except (ValueError, ValidationError, OverflowError, UnicodeDecodeError):
            self.refused += 1
            return
        if vote["district_code"] not in self.codes:
            self.refused += 1
            return
        if vote["vote_id"] in self.seen:
            self.duplicates += 1
            return
        self.seen.add(vote["vote_id"])
        # Scoring's own vote value, so that the voter-day key is the one scoring keeps (no copy of it).
        voter_day = Vote(vote["vote_id"], vote["district_code"], vote["score"], vote["submitted_at"],
                         vote["received_at"], 0, 0, voter_key=vote.get("voter_key")).voter_day
        if voter_day is not None:
            if voter_day in self.voter_days:
                self.duplicates += 1
                return
            self.voter_days.add(voter_day)
        if vote.get("flagged"):
            self.flagged += 1
            return
        cell = self.days[vote["district_code"]].setdefault(bangkok_day(vote["submitted_at"]), [0] * 7)
        cell[0] += 1
        cell[1] += vote["score"]
        cell[1 + vote["score"]] += 1
        self.counted += 1

    def figures(self, today: date, campaign_start: date | None, campaign_end: date | None) -> dict[str, dict]:
        """Each district's windows in the scores.v1 shape (votes, sum, histogram), as ranking stores them."""
        windows = windows_for(today, campaign_start, campaign_end)
        out: dict[str, dict] = {}
        for code, days in self.days.items():
            shaped = {}
            for window in windows:
                total = [0] * 7
                for day, cell in days.items():
                    if window.contains(day):
                        total = [a + b for a, b in zip(total, cell, strict=True)]
                shaped[window.name] = {"votes": total[0], "sum": total[1],
                                       "histogram": {str(s): total[1 + s] for s in range(1, 6)}}
            out[code] = {"windows": shaped}
        return out


def end_offsets(settings: Settings, topic: str) -> dict[int, int]:
    """The current end of every partition of the votes topic (what a close freezes)."""
    from kafka import KafkaConsumer, TopicPartition

    from shared.kafka import client_security

    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None,
                             isolation_level="read_committed", **client_security(settings))
    try:
        partitions = sorted(consumer.partitions_for_topic(topic) or [])
        if not partitions:
            raise RuntimeError(f"topic {topic} does not exist or has no partitions")
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        consumer.close()


def read_log(settings: Settings, topic: str, ends: dict[int, int], codes: Iterable[str], *,
             progress: bool = True, stall_s: float = 60.0) -> LogTallies:
    """Read `topic` from offset 0 up to `ends` (exclusive) with no consumer group: the live service is untouched."""
    from kafka import KafkaConsumer, TopicPartition
    from tqdm import tqdm

    from shared.kafka import client_security

    tallies = LogTallies(frozenset(codes))
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False,
                             isolation_level="read_committed", max_partition_fetch_bytes=8 * 1024 * 1024,
                             **client_security(settings))
    try:
        known = consumer.partitions_for_topic(topic) or set()
        missing = sorted(set(ends) - known)
        if missing:
            raise RuntimeError(f"topic {topic} has no partition {missing[0]}; is it the log the award was closed on?")
        parts = [TopicPartition(topic, p) for p in sorted(ends) if ends[p] > 0]
        if not parts:
            return tallies
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        for tp in parts:
            if consumer.position(tp) > 0:
                raise RuntimeError(f"{topic}:{tp.partition} no longer starts at offset 0 (retention removed votes); "
                                   "the ranking cannot be rebuilt from this log")
        wanted = sum(ends[tp.partition] for tp in parts)
        bar = tqdm(total=wanted, unit="vote", file=sys.stderr, disable=not progress, desc=f"reading {topic}")
        remaining = {tp: ends[tp.partition] for tp in parts}
        last_progress = time.monotonic()
        while remaining:
            polled = consumer.poll(timeout_ms=1000, max_records=20000)
            for tp, records in polled.items():
                end = remaining.get(tp)
                if end is None:
                    continue
                taken = [r for r in records if r.offset < end]
                for record in taken:
                    tallies.add(record.value)
                bar.update(len(taken))
                if taken:
                    last_progress = time.monotonic()
            for tp in list(remaining):  # control records (transactions) move positions without data
                if consumer.position(tp) >= remaining[tp]:
                    remaining.pop(tp)
                    consumer.pause(tp)
            if remaining and time.monotonic() - last_progress > stall_s:
                raise RuntimeError(f"no progress reading {topic} for {stall_s:.0f} s; is Kafka reachable?")
        bar.close()
        return tallies
    finally:
        consumer.close()

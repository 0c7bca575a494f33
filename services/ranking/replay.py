"""Rebuild every district's figures from the log, without any store: awards and what-if.

Two logs, two readers with one interface (`add_records`, the counts a summary prints, `figures`):

- `BallotTallies` folds `ballots.v1`, scoring's decisions (`shared.counting.BallotCounter`): what an award
  closed now and every what-if count, so that their figures are the public board's (scoring's standings),
  whatever order scoring decided its votes in (docs/scoring.md, "The rare race").
- `LogTallies` applies the counting rules again over `votes.v1` (`shared.counting.LogCounter`: a vote counts
  once per `vote_id`, one per voter per district per Bangkok day of receipt, flagged votes apart, each on the
  Bangkok day it was submitted): kept to verify awards closed over votes.v1 before awards followed ballots.

Either log is read by the shared log reader (`shared/stream/log_reader.py`) from its beginning up to fixed
end offsets, so a rebuild is reproducible. Ranking imports no code from scoring.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from shared import events
from shared.config import Settings
from shared.counting import DEFAULT_SOURCE_CAP, BallotCounter, LogCounter
from shared.flags import FlagSettings, MemoryFlags
from shared.stream import log_reader
from shared.stream.ports import Record


@dataclass
class LogTallies:
    """The counting rules over votes.v1 records as an award or a what-if reads them."""

    counter: LogCounter

    def __init__(self, codes: Iterable[str], source_cap: int = DEFAULT_SOURCE_CAP, flags: FlagSettings | None = None):
        """`flags`: the caps to judge the log's votes with (the platform's, or those an award froze); scoring
        decides the flags with the platform's (docs/scoring.md, "Flags"), so a replay must be told the same."""
        self.counter = LogCounter(frozenset(codes), source_cap=source_cap,
                                  flags=MemoryFlags(rules=(flags or FlagSettings()).rules()))

    def add(self, raw: bytes | None, offset: int = -1) -> None:
        try:
            event = events.decode(events.VoteEvent, raw)
        except events.EventError:
            event = None
        self.counter.vote(event, offset)

    def add_records(self, records: Sequence[Record]) -> None:
        for record in records:
            self.add(record.value, record.offset)

    @property
    def counted(self) -> int:
        return self.counter.counted

    @property
    def duplicates(self) -> int:
        """Skipped as already counted: a vote_id seen before, or a voter's day held by an earlier vote."""
        return self.counter.duplicates + self.counter.repeats

    @property
    def flagged(self) -> int:
        return self.counter.flagged

    @property
    def refused(self) -> int:
        return self.counter.refused

    def figures(self, today: date, campaign_start: date | None, campaign_end: date | None) -> dict[str, dict]:
        return self.counter.figures(today, campaign_start, campaign_end)


class BallotTallies:
    """Scoring's decisions over ballots.v1 records as an award or a what-if reads them."""

    def __init__(self, codes: Iterable[str], source_cap: int = DEFAULT_SOURCE_CAP):
        self.counter = BallotCounter(frozenset(codes), source_cap=source_cap)
        self.unreadable = 0  # records that are not ballots.v1 (scoring wrote them: counted, never fatal)

    def add(self, raw: bytes | None) -> None:
        try:
            ballots = events.decode_ballots(raw)
        except events.EventError:
            self.unreadable += 1
            return
        for ballot in ballots:
            self.counter.ballot(ballot)

    def add_records(self, records: Sequence[Record]) -> None:
        for record in records:
            self.add(record.value)

    @property
    def counted(self) -> int:
        return self.counter.counted

    @property
    def duplicates(self) -> int:
        """Skipped as scoring decided: a voter's repeat of the day (a copy of a vote_id in votes.v1 has no ballot;
        a ballot delivered again is `redelivered`)."""
        return self.counter.repeats

    @property
    def flagged(self) -> int:
        return self.counter.flagged

    @property
    def refused(self) -> int:
        """Unreadable ballots.v1 records and ballots of districts outside the registry (votes scoring refused went
        to votes.dlq and have no ballot)."""
        return self.unreadable + self.counter.refused

    @property
    def redelivered(self) -> int:
        return self.counter.redelivered

    @property
    def without_source(self) -> int:
        return self.counter.without_source

    def figures(self, today: date, campaign_start: date | None, campaign_end: date | None) -> dict[str, dict]:
        return self.counter.figures(today, campaign_start, campaign_end)


Tallies = LogTallies | BallotTallies


def end_offsets(settings: Settings, topic: str) -> dict[int, int]:
    """The current end of every partition of a topic (what a close freezes)."""
    return {p: o for (_, p), o in log_reader.end_offsets(settings, [topic]).items()}


def read_log(settings: Settings, topic: str, ends: dict[int, int], codes: Iterable[str], *,
             flags: FlagSettings | None = None, progress: bool = True, stall_s: float = 60.0) -> LogTallies:
    """Count `topic` from offset 0 up to `ends` (exclusive) with no consumer group, judging flags with `flags`
    (an award's frozen caps) or else the platform's (`settings.flags`, as scoring reads them)."""
    tallies = LogTallies(codes, settings.min_sources, flags or settings.flags)
    log_reader.read_log(settings, {(topic, p): o for p, o in ends.items()}, tallies.add_records,
                        progress=progress, stall_s=stall_s)
    return tallies


def read_ballots_log(settings: Settings, topic: str, ends: dict[int, int], codes: Iterable[str], *,
                     source_cap: int | None = None, progress: bool = True, stall_s: float = 60.0) -> BallotTallies:
    """Fold the ballots `topic` from offset 0 up to `ends` (exclusive) with no consumer group, counting sources
    up to `source_cap` (default the platform's MIN_SOURCES; a verify gives the award's frozen one)."""
    tallies = BallotTallies(codes, source_cap or settings.min_sources)
    log_reader.read_log(settings, {(topic, p): o for p, o in ends.items()}, tallies.add_records,
                        progress=progress, stall_s=stall_s)
    return tallies

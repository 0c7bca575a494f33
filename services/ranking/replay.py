"""Rebuild every district's figures straight from votes.v1, without any store: awards and what-if.

The counting rules are the platform's one set (`shared/counting.py`, which scoring applies too): a
vote counts once per `vote_id`, one per voter per district per Bangkok day of receipt, flagged votes
apart, each on the Bangkok day it was submitted, windows as `shared.counting.windows_for`. The log is
read by the shared log reader (`shared/stream/log_reader.py`) from its beginning up to fixed end
offsets, so a rebuild is reproducible. Ranking imports no code from scoring.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from shared import events
from shared.config import Settings
from shared.counting import DEFAULT_SOURCE_CAP, LogCounter
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


def end_offsets(settings: Settings, topic: str) -> dict[int, int]:
    """The current end of every partition of the votes topic (what a close freezes)."""
    return {p: o for (_, p), o in log_reader.end_offsets(settings, [topic]).items()}


def read_log(settings: Settings, topic: str, ends: dict[int, int], codes: Iterable[str], *,
             flags: FlagSettings | None = None, progress: bool = True, stall_s: float = 60.0) -> LogTallies:
    """Count `topic` from offset 0 up to `ends` (exclusive) with no consumer group, judging flags with `flags`
    (an award's frozen caps) or else the platform's (`settings.flags`, as scoring reads them)."""
    tallies = LogTallies(codes, settings.min_sources, flags or settings.flags)
    log_reader.read_log(settings, {(topic, p): o for p, o in ends.items()}, tallies.add_records,
                        progress=progress, stall_s=stall_s)
    return tallies

"""What scoring decided, per district, for the central office's export: flagged votes and the service breakdown.

Why ballots.v1 and not votes.v1: scoring is the one owner of what counts (docs/events.md); the export follows
its decisions (counted, flagged, repeat) instead of counting again. Ballots are at least once, so a vote is
taken once by `vote_id`; only `vote` ballots are votes (a `comment` ballot repeats its vote's decision). The
tally covers the campaign window (the Bangkok days `CAMPAIGN_START`..`CAMPAIGN_END`, open when unset), the
same window as the export's `campaign_*` columns, so its counted votes equal scoring's campaign votes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from shared.config import Settings
from shared.events import EventError, decode_ballots
from shared.stream.ports import Record
from shared.vote_rules import SERVICES

# A vote with no service is shown apart, not dropped: "unspecified".
SERVICE_KEYS: tuple[str, ...] = (*SERVICES, "unspecified")


@dataclass
class DistrictBallots:
    """One district's decided votes: how many counted, flagged, repeats; counted votes and score sum per service."""

    counted: int = 0
    flagged: int = 0
    repeat: int = 0
    service_votes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SERVICE_KEYS, 0))
    service_sum: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SERVICE_KEYS, 0))

    def service_mean(self, service: str) -> float | None:
        votes = self.service_votes[service]
        return round(self.service_sum[service] / votes, 4) if votes else None


@dataclass
class BallotTally:
    """Folds ballots.v1 records into per-district figures; idempotent by vote_id (a replayed batch adds nothing)."""

    start: date | None = None
    end: date | None = None
    districts: dict[str, DistrictBallots] = field(default_factory=dict)
    unreadable: int = 0
    _seen: set[str] = field(default_factory=set)

    def handle(self, records: Sequence[Record]) -> None:
        for record in records:
            try:
                ballots = decode_ballots(record.value)
            except EventError:
                self.unreadable += 1  # scoring wrote it; a bad record is counted, never fatal to the export
                continue
            for ballot in ballots:
                if ballot.kind != "vote" or ballot.vote_id in self._seen or not self._in_window(ballot.day):
                    continue
                self._seen.add(ballot.vote_id)
                self._add(ballot)

    def _in_window(self, day: str) -> bool:
        d = date.fromisoformat(day)
        return (self.start is None or d >= self.start) and (self.end is None or d <= self.end)

    def _add(self, ballot) -> None:
        figures = self.districts.setdefault(ballot.district_code, DistrictBallots())
        if ballot.decision == "flagged":
            figures.flagged += 1
        elif ballot.decision == "repeat":
            figures.repeat += 1
        else:
            figures.counted += 1
            service = ballot.service or "unspecified"
            figures.service_votes[service] += 1
            figures.service_sum[service] += ballot.score

    def of(self, code: str) -> DistrictBallots:
        return self.districts.get(code) or DistrictBallots()


def read_ballots(settings: Settings, start: date | None, end: date | None) -> BallotTally:
    """The whole ballots.v1 log up to its end now, folded (no consumer group: the live services are untouched)."""
    from shared.stream.log_reader import end_offsets, read_log

    tally = BallotTally(start, end)
    read_log(settings, end_offsets(settings, [settings.topics.ballots]), tally.handle, whole=False)
    return tally

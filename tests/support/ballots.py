"""Ballots as scoring decides them, for tests that feed a ballots.v1 reader directly.

The decisions come from the platform's counting rules (`shared.counting.LogCounter`, which scoring's
processor applies too), never from a hand-written verdict, so a test cannot hand notify a vote
scoring would not count.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from types import SimpleNamespace

from shared.counting import LogCounter
from shared.districts import default_registry
from shared.events import VoteEvent, ballots_record


def vote(district: str, score: int, at: datetime, *, comment: str = "", channel: str = "kiosk",
         voter_key: str | None = None, flagged: bool = False, staff: str | None = None,
         vote_id: str | None = None) -> VoteEvent:
    return VoteEvent(vote_id or str(uuid.uuid4()), district, score, comment, staff, None, channel, voter_key, at, at,
                     flagged=flagged, flag_reason="key_burst" if flagged else None)


def ballot_records(votes: list[VoteEvent]) -> list[SimpleNamespace]:
    """The ballots.v1 records scoring publishes for these votes, in log order (duplicates: none)."""
    counter = LogCounter(frozenset(default_registry().codes()))
    out = []
    for offset, event in enumerate(votes):
        ballot = counter.vote(event, offset)
        if ballot is not None:
            out.append(SimpleNamespace(value=ballots_record(ballot.district_code, [ballot]), key=ballot.key,
                                       offset=offset, partition=0))
    return out

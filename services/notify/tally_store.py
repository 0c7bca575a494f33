"""What scoring decided, per district and Bangkok day, kept for the centre's reports (`notify_tally`).

Why a collection of its own: `notify_votes` (the alert rules' votes) expires after a fortnight, and the
service-improvement report covers any period of the campaign, with flagged votes, which notify's rules
leave out. One document per district day, `{_id: "<district>:<day>", d, day, n: {<vote key>: score},
f: {<vote key>: 1}, r: {<vote key>: 1}}`: counted, flagged and repeat votes as sets, so a redelivered
ballot is a no-op `$set` (ballots are at least once). Read by equality on the indexed `day`, one day at
a time (FerretDB pushes nothing else down: docs/store.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, timedelta

from pymongo import UpdateOne
from pymongo.collection import Collection

from services.notify.store import vote_key
from shared.events import BALLOT_VOTE, BallotEvent

_FIELD = {"counted": "n", "flagged": "f", "repeat": "r"}


class TallyStore:
    def __init__(self, collection: Collection):
        self.docs = collection

    def ensure_indexes(self) -> None:
        self.docs.create_index("day")

    def add(self, ballots: Iterable[BallotEvent]) -> int:
        """The vote ballots of a batch (any decision), one upsert per district day."""
        sets: dict[tuple[str, str], dict] = defaultdict(dict)
        for ballot in ballots:
            if ballot.kind != BALLOT_VOTE or ballot.decision not in _FIELD:
                continue
            value = ballot.score if ballot.decision == "counted" else 1
            sets[(ballot.district_code, ballot.day)][f"{_FIELD[ballot.decision]}.{vote_key(ballot.vote_id)}"] = value
        ops = [UpdateOne({"_id": f"{district}:{day}"}, {"$set": {"d": district, "day": day, **fields}}, upsert=True)
               for (district, day), fields in sets.items()]
        if ops:
            self.docs.bulk_write(ops, ordered=False)
        return len(ops)

    def days(self, first: date, last: date) -> Iterator[dict]:
        """Every district day from `first` to `last` (inclusive), one indexed day at a time."""
        day = first
        while day <= last:
            yield from self.docs.find({"day": day.isoformat()})
            day += timedelta(days=1)

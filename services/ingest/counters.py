"""Vote counters for the flag rules (per address or API key, per district, per day or burst window).

One document per counter, keyed by `_id` and incremented in place, shared by every worker and pod.
A counter only decides whether a vote is flagged, never whether it is accepted, so an outage of
the store leaves votes unflagged rather than refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pymongo import ReturnDocument
from pymongo.collection import Collection

from shared.expiry import DUE, due_label, ensure_due_index, expire_due


class VoteCounters(Protocol):
    def add(self, increments: dict[str, tuple[dict[str, int], datetime]]) -> dict[str, dict[str, int]]:
        """Add to counter documents (id -> ({field: amount}, expires_at)); returns those fields' totals after."""

    def expire(self, now: datetime) -> int: ...


class MongoVoteCounters:
    def __init__(self, collection: Collection):
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_due_index(self.collection)

    def add(self, increments: dict[str, tuple[dict[str, int], datetime]]) -> dict[str, dict[str, int]]:
        totals = {}
        for counter, (amounts, expires_at) in increments.items():  # one keyed write per document
            doc = self.collection.find_one_and_update(
                {"_id": counter},
                {"$inc": amounts, "$setOnInsert": {"expires_at": expires_at, DUE: due_label(expires_at)}},
                upsert=True, return_document=ReturnDocument.AFTER)
            totals[counter] = {name: doc[name] for name in amounts}
        return totals

    def expire(self, now: datetime) -> int:
        return expire_due(self.collection, now)  # keyed deletes by due hour (docs/store.md)

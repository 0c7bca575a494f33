"""Expiry by key, without TTL indexes or range deletes (neither works on FerretDB v1; docs/store.md).

A document that must go carries `due`, the UTC hour after which it may be deleted ("2026-11-22T05").
The expiry job asks for each hour that is over by *equality* on `due` (pushed down by FerretDB and
served by an index on both stores) and deletes what it found by `_id`, in bulks of keyed deletes.
Its cost follows what is due, never the size of the collection. `{"expires_at": {"$lt": now}}`
would read every document on FerretDB: it does not push `$lt` down.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from pymongo import DeleteOne
from pymongo.collection import Collection

DUE = "due"
LOOKBACK = timedelta(hours=72)  # hours this far back are looked at again (an expiry job that was down)
CHUNK = 1000  # keyed deletes per round trip
_HOUR = timedelta(hours=1)
_FORMAT = "%Y-%m-%dT%H"


@lru_cache(maxsize=1024)
def due_label(expires_at: datetime) -> str:
    """The first whole UTC hour at or after `expires_at`: from then on the document may go.

    Kept per moment: a batch's claims share one expiry, and `strftime` per claim was ~5 % of a batch vote's
    samples (issue 24). Equal instants in other zones hash and compare equal, and get the same label."""
    at = expires_at.astimezone(UTC)
    hour = at.replace(minute=0, second=0, microsecond=0)
    if hour < at:
        hour += _HOUR
    return hour.strftime(_FORMAT)


def due_hours(now: datetime, lookback: timedelta = LOOKBACK) -> Iterator[str]:
    """Labels of the hours that are over at `now`, newest first, as far back as `lookback`."""
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    oldest = hour - lookback
    while hour >= oldest:
        yield hour.strftime(_FORMAT)
        hour -= _HOUR


def ensure_due_index(collection: Collection) -> None:
    """On FerretDB/PostgreSQL this btree gets a GIN twin that serves the `due` equality (docs/store.md)."""
    collection.create_index(DUE)


def expire_due(collection: Collection, now: datetime, lookback: timedelta = LOOKBACK) -> int:
    """Delete the documents whose `due` hour is over; returns how many went."""
    deleted = 0
    for label in due_hours(now, lookback):
        ids = [doc["_id"] for doc in collection.find({DUE: label}, {"_id": 1})]
        for start in range(0, len(ids), CHUNK):
            # `due` again in each filter: a document saved anew meanwhile (a later due) stays.
            ops = [DeleteOne({"_id": i, DUE: label}) for i in ids[start:start + CHUNK]]
            deleted += collection.bulk_write(ops, ordered=False).deleted_count
    return deleted

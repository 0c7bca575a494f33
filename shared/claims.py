"""Claims in the document store: a key taken once, by one worker of any process (ingest: idempotency keys
and one vote per voter per day; any service needing "only once" reuses it).

A claim is a document with a unique `_id`, taken with a plain insert (FerretDB reports a clash on
insert as 11000, but not inside an upsert). Claims move pending → published, or pending → failed
when Kafka did not take the vote; a failed or long-pending claim may be taken over by a retry,
guarded by a version number so two retries cannot both win.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from shared.mongo import DUPLICATE_KEY

PENDING, PUBLISHED, FAILED = "pending", "published", "failed"


@dataclass(frozen=True)
class NewClaim:
    id: str
    vote_id: str
    expires_at: datetime
    fingerprint: str | None = None


@dataclass(frozen=True)
class Claim:
    id: str
    vote_id: str
    state: str
    version: int
    updated_at: datetime
    fingerprint: str | None = None

    def is_stale(self, now: datetime, stale_after: timedelta) -> bool:
        return self.state == FAILED or (self.state == PENDING and now - self.updated_at > stale_after)


class ClaimStore(Protocol):
    def claim(self, claims: list[NewClaim], now: datetime) -> list[Claim | None]:
        """Take each claim; None where it was free and is now ours, else the holder's claim."""

    def take_over(self, held: Claim, vote_id: str, now: datetime) -> bool: ...

    def mark(self, ids: list[str], state: str, now: datetime) -> None: ...

    def release(self, ids: list[str]) -> None: ...

    def expire(self, now: datetime) -> int: ...


class RateLimiter(Protocol):
    def hit(self, subject: str, amount: int, now: datetime) -> float | None:
        """Count `amount` requests; None if allowed, else seconds until the window reopens."""


def _claim_from(doc: dict) -> Claim:
    return Claim(id=doc["_id"], vote_id=doc["vote_id"], state=doc["state"], version=doc["version"],
                 updated_at=doc["updated_at"], fingerprint=doc.get("fingerprint"))


class MongoClaimStore:
    def __init__(self, collection: Collection):
        self.collection = collection

    def ensure_indexes(self) -> None:
        self.collection.create_index("expires_at")

    def claim(self, claims: list[NewClaim], now: datetime) -> list[Claim | None]:
        if not claims:
            return []
        docs = [{"_id": c.id, "vote_id": c.vote_id, "state": PENDING, "version": 1, "fingerprint": c.fingerprint,
                 "created_at": now, "updated_at": now, "expires_at": c.expires_at} for c in claims]
        clashed: set[int] = set()
        try:
            self.collection.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            for error in exc.details.get("writeErrors", []):
                if error.get("code") != DUPLICATE_KEY:
                    raise
                clashed.add(error["index"])
        if not clashed:
            return [None] * len(claims)
        held = {d["_id"]: _claim_from(d)
                for d in self.collection.find({"_id": {"$in": [claims[i].id for i in clashed]}})}
        results: list[Claim | None] = []
        for i, c in enumerate(claims):
            if i not in clashed:
                results.append(None)
            else:
                # Expired and deleted in between: report it as a fresh pending claim, so the caller retries.
                results.append(held.get(c.id) or Claim(c.id, "", PENDING, 0, now))
        return results

    def take_over(self, held: Claim, vote_id: str, now: datetime) -> bool:
        doc = self.collection.find_one_and_update(
            {"_id": held.id, "version": held.version},
            {"$set": {"vote_id": vote_id, "state": PENDING, "updated_at": now}, "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER,
        )
        return doc is not None

    def mark(self, ids: list[str], state: str, now: datetime) -> None:
        if ids:
            self.collection.update_many({"_id": {"$in": ids}}, {"$set": {"state": state, "updated_at": now}})

    def release(self, ids: list[str]) -> None:
        if ids:
            self.collection.delete_many({"_id": {"$in": ids}})

    def expire(self, now: datetime) -> int:
        return self.collection.delete_many({"expires_at": {"$lt": now}}).deleted_count


class MongoRateLimiter:
    """Fixed one-minute windows counted in the store, so the limit holds across workers and pods."""

    def __init__(self, collection: Collection, limit_per_minute: int):
        self.collection = collection
        self.limit = limit_per_minute

    def hit(self, subject: str, amount: int, now: datetime) -> float | None:
        window = int(now.timestamp() // 60)
        doc = self.collection.find_one_and_update(
            {"_id": f"{subject}:{window}"},
            {"$inc": {"count": amount},
             "$setOnInsert": {"expires_at": now + timedelta(minutes=2)}},
            upsert=True, return_document=ReturnDocument.AFTER,
        )
        if doc["count"] <= self.limit:
            return None
        return max(1.0, (window + 1) * 60 - now.timestamp())

    def expire(self, now: datetime) -> int:
        return self.collection.delete_many({"expires_at": {"$lt": now}}).deleted_count

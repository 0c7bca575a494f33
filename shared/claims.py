"""Claims in the document store: a key taken once, by one worker of any process (ingest: idempotency keys
and one vote per voter per day; any service needing "only once" reuses it).

A claim is a document with a unique `_id`, taken with a plain insert (FerretDB reports a clash on
insert as 11000, but not inside an upsert). Claims move pending → published, or pending → failed
when Kafka did not take the vote; a failed or long-pending claim may be taken over by a retry,
guarded by a version number so two retries cannot both win. The guard is a unique insert (a ticket
`take:<claim id>:<version>` among the marks), not a conditional update: FerretDB v1 runs
`find_one_and_update` and `update_one` as a read then a write, so several concurrent callers all
matched `{_id, version}` (measured: 6 threads, more than one winner in 42 of 60 trials), while a
unique `_id` is enforced by PostgreSQL on both stores.

Every write is by key (docs/store.md): a claim's outcome is not an update of the claim but an
inserted mark `<claim id>:<version>` (one insert for a whole batch, where per-claim updates cost a
round trip each and `update_many` with `$in` reads the whole collection on FerretDB); a take-over
raises the version, so the marks of earlier attempts no longer apply. Expiry goes by `due` hour.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from pymongo import DeleteOne, ReturnDocument
from pymongo.collection import Collection

from shared.expiry import DUE, due_label, ensure_due_index, expire_due
from shared.mongo import insert_ignoring_clashes

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
    expires_at: datetime | None = None

    def is_stale(self, now: datetime, stale_after: timedelta) -> bool:
        return self.state == FAILED or (self.state == PENDING and now - self.updated_at > stale_after)


class ClaimStore(Protocol):
    def claim(self, claims: list[NewClaim], now: datetime) -> list[Claim | None]:
        """Take each claim; None where it was free and is now ours, else the holder's claim."""

    def take(self, claims: list[NewClaim], now: datetime) -> set[int]:
        """Take each claim in one insert; the indexes of those held already (read them with `held`)."""

    def held(self, claim_id: str, now: datetime) -> Claim:
        """A claim someone holds, as it stands (a fresh pending one if it expired meanwhile)."""

    def take_over(self, held: Claim, vote_id: str, now: datetime) -> bool: ...

    def mark(self, ids: list[str], state: str, now: datetime) -> None: ...

    def release(self, ids: list[str]) -> None: ...

    def expire(self, now: datetime) -> int: ...


class RateLimiter(Protocol):
    def hit(self, subject: str, amount: int, now: datetime) -> float | None:
        """Count `amount` requests; None if allowed, else seconds until the window reopens."""


def mark_id(claim_id: str, version: int) -> str:
    return f"{claim_id}:{version}"


def _aware(at: datetime) -> datetime:
    """The store gives datetimes back naive (UTC) unless the client was made tz-aware."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def ticket_id(claim_id: str, version: int) -> str:
    """The take-over ticket of a claim's `version`: whoever inserts it owns that attempt."""
    return f"take:{claim_id}:{version}"


class MongoClaimStore:
    """Collections `<name>` (claims) and `<name>_marks` (their outcomes)."""

    REMEMBERED = 100_000  # claims this process holds and will mark (a bounded memory)
    TICKET_STALE = timedelta(seconds=30)  # a take-over's winner moves the claim within milliseconds
    TICKET_TRIES = 3

    def __init__(self, collection: Collection):
        self.collection = collection
        self.marks = collection.database[f"{collection.name}_marks"]
        # claim id -> (version, expires_at) of the claims this process took, for mark() without a read.
        self._held: OrderedDict[str, tuple[int, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def ensure_indexes(self) -> None:
        ensure_due_index(self.collection)
        ensure_due_index(self.marks)

    def claim(self, claims: list[NewClaim], now: datetime) -> list[Claim | None]:
        clashed = self.take(claims, now)
        return [self.held(c.id, now) if i in clashed else None for i, c in enumerate(claims)]

    def take(self, claims: list[NewClaim], now: datetime) -> set[int]:
        docs = [{"_id": c.id, "vote_id": c.vote_id, "version": 1, "fingerprint": c.fingerprint,
                 "created_at": now, "updated_at": now, "expires_at": c.expires_at, DUE: due_label(c.expires_at)}
                for c in claims]
        clashed = insert_ignoring_clashes(self.collection, docs)
        for i, c in enumerate(claims):
            if i not in clashed:
                self._remember(c.id, 1, c.expires_at)
        return clashed

    def held(self, claim_id: str, now: datetime) -> Claim:
        # Expired and deleted in between: report it as a fresh pending claim, so the caller retries.
        return self._held_claim(claim_id) or Claim(claim_id, "", PENDING, 0, now)

    def _held_claim(self, claim_id: str) -> Claim | None:
        doc = self.collection.find_one({"_id": claim_id})
        if doc is None:
            return None
        mark = self.marks.find_one({"_id": mark_id(claim_id, doc["version"])})
        return Claim(id=doc["_id"], vote_id=doc["vote_id"], state=mark["state"] if mark else PENDING,
                     version=doc["version"], updated_at=mark["at"] if mark else doc["updated_at"],
                     fingerprint=doc.get("fingerprint"), expires_at=doc.get("expires_at"))

    def take_over(self, held: Claim, vote_id: str, now: datetime) -> bool:
        """Win the next attempt of `held` by inserting its ticket, then move the claim to it.

        A ticket whose winner died before moving the claim (a crash between the two writes) is left
        behind once it is older than `TICKET_STALE`, and the next version is tried, a few at most."""
        expires_at = held.expires_at or now + timedelta(days=1)
        for version in range(held.version + 1, held.version + 1 + self.TICKET_TRIES):
            won = not insert_ignoring_clashes(self.marks, [{"_id": ticket_id(held.id, version), "at": now,
                                                            DUE: due_label(expires_at)}])
            if won:
                break
            ticket = self.marks.find_one({"_id": ticket_id(held.id, version)})
            if ticket is not None and now - _aware(ticket["at"]) <= self.TICKET_STALE:
                return False  # another caller holds this attempt
        else:
            return False
        doc = self.collection.find_one_and_update(
            {"_id": held.id},
            {"$set": {"vote_id": vote_id, "updated_at": now, "version": version}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:  # expired meanwhile: nothing to take over
            return False
        self._remember(held.id, version, doc["expires_at"])
        return True

    def mark(self, ids: list[str], state: str, now: datetime) -> None:
        """One insert for all: the outcome of the attempt this process holds (its version)."""
        docs = []
        for claim_id in ids:
            held = self._forget(claim_id) or self._read_version(claim_id)
            if held is not None:
                version, expires_at = held
                docs.append({"_id": mark_id(claim_id, version), "state": state, "at": now,
                             DUE: due_label(expires_at)})
        insert_ignoring_clashes(self.marks, docs)  # a clash: this attempt's outcome is recorded already

    def _read_version(self, claim_id: str) -> tuple[int, datetime] | None:
        doc = self.collection.find_one({"_id": claim_id}, {"version": 1, "expires_at": 1})
        return (doc["version"], doc["expires_at"]) if doc else None

    def release(self, ids: list[str]) -> None:
        for claim_id in ids:
            self._forget(claim_id)
        if ids:
            self.collection.bulk_write([DeleteOne({"_id": i}) for i in ids], ordered=False)

    def expire(self, now: datetime) -> int:
        expire_due(self.marks, now)
        return expire_due(self.collection, now)

    def _remember(self, claim_id: str, version: int, expires_at: datetime) -> None:
        with self._lock:
            self._held[claim_id] = (version, expires_at)
            while len(self._held) > self.REMEMBERED:
                self._held.popitem(last=False)

    def _forget(self, claim_id: str) -> tuple[int, datetime] | None:
        with self._lock:
            return self._held.pop(claim_id, None)


class MongoRateLimiter:
    """Fixed one-minute windows counted in the store, so the limit holds across workers and pods."""

    def __init__(self, collection: Collection, limit_per_minute: int):
        self.collection = collection
        self.limit = limit_per_minute

    def ensure_indexes(self) -> None:
        ensure_due_index(self.collection)

    def hit(self, subject: str, amount: int, now: datetime) -> float | None:
        window = int(now.timestamp() // 60)
        doc = self.collection.find_one_and_update(
            {"_id": f"{subject}:{window}"},
            {"$inc": {"count": amount},
             "$setOnInsert": {DUE: due_label(now + timedelta(minutes=2))}},
            upsert=True, return_document=ReturnDocument.AFTER,
        )
        if doc["count"] <= self.limit:
            return None
        return max(1.0, (window + 1) * 60 - now.timestamp())

    def expire(self, now: datetime) -> int:
        return expire_due(self.collection, now)

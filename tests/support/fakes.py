"""In-memory stand-ins of our own interfaces (ClaimStore, RateLimiter, EventPublisher) for unit tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from services.ingest.claims import PENDING, Claim, NewClaim
from shared.events import VoteEvent


class MemoryClaims:
    def __init__(self):
        self.docs: dict[str, tuple[Claim, datetime]] = {}

    def claim(self, claims: list[NewClaim], now: datetime) -> list[Claim | None]:
        out: list[Claim | None] = []
        for c in claims:
            if c.id in self.docs:
                out.append(self.docs[c.id][0])
            else:
                self.docs[c.id] = (Claim(c.id, c.vote_id, PENDING, 1, now, c.fingerprint), c.expires_at)
                out.append(None)
        return out

    def take_over(self, held: Claim, vote_id: str, now: datetime) -> bool:
        current, expires = self.docs.get(held.id, (None, None))
        if current is None or current.version != held.version:
            return False
        self.docs[held.id] = (replace(current, vote_id=vote_id, state=PENDING, version=current.version + 1,
                                      updated_at=now), expires)
        return True

    def mark(self, ids: list[str], state: str, now: datetime) -> None:
        for i in ids:
            claim, expires = self.docs[i]
            self.docs[i] = (replace(claim, state=state, updated_at=now), expires)

    def release(self, ids: list[str]) -> None:
        for i in ids:
            self.docs.pop(i, None)

    def expire(self, now: datetime) -> int:
        old = [i for i, (_, expires) in self.docs.items() if expires < now]
        self.release(old)
        return len(old)


class MemoryLimiter:
    def __init__(self, limit: int):
        self.limit = limit
        self.counts: dict[tuple[str, int], int] = {}

    def hit(self, subject: str, amount: int, now: datetime) -> float | None:
        window = int(now.timestamp() // 60)
        self.counts[(subject, window)] = self.counts.get((subject, window), 0) + amount
        return None if self.counts[(subject, window)] <= self.limit else 30.0

    def expire(self, now: datetime) -> int:
        return 0


class MemoryPublisher:
    """Records what would be published; `fail` makes every publish fail like an absent broker."""

    def __init__(self):
        self.events: list[VoteEvent] = []
        self.fail = False

    def publish(self, events: list[VoteEvent]) -> list[Exception | None]:
        if self.fail:
            return [TimeoutError("broker away")] * len(events)
        self.events.extend(events)
        return [None] * len(events)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)

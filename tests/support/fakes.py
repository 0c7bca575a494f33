"""In-memory stand-ins of our own interfaces (ClaimStore, RateLimiter, EventPublisher) for unit tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from services.ingest.line.conversation import Conversation
from services.ingest.line.state import KEEP_AFTER_WINDOW
from shared.claims import PENDING, Claim, NewClaim
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

    def take(self, claims: list[NewClaim], now: datetime) -> set[int]:
        return {i for i, held in enumerate(self.claim(claims, now)) if held is not None}

    def held(self, claim_id: str, now: datetime) -> Claim:
        return self.docs[claim_id][0] if claim_id in self.docs else Claim(claim_id, "", PENDING, 0, now)

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


class MemoryConversationStore:
    """The conversation store's rules in memory."""

    def __init__(self):
        self.docs: dict[str, Conversation] = {}

    def get(self, key: str) -> Conversation | None:
        return self.docs.get(key)

    def save(self, key: str, conversation: Conversation) -> None:
        self.docs[key] = conversation

    def reserve_comment(self, key: str, vote_id: str, comment_id: str) -> Conversation | None:
        current = self.docs.get(key)
        if current is None or current.vote_id != vote_id:
            return None
        if current.comment_id in (None, comment_id):
            self.docs[key] = replace(current, comment_id=comment_id)
        elif current.comment_published:
            self.docs[key] = replace(current, comment_id=comment_id, comment_published=False)
        else:
            return None
        return self.docs[key]

    def set_comment_published(self, key: str, comment_id: str, text: str | None) -> None:
        current = self.docs.get(key)
        if current and current.comment_id == comment_id:
            self.docs[key] = (replace(current, comment_id=None, comment_published=False) if text is None else
                              replace(current, comment_published=True, comment_text=text,
                                      comment_ids=(*current.comment_ids, comment_id)))

    def set_praise(self, key: str, vote_id: str, step: str, praise_id: str | None) -> None:
        current = self.docs.get(key)
        if current and current.vote_id == vote_id:
            self.docs[key] = replace(current, praise_step=step, praise_id=praise_id)

    def expire(self, now: datetime) -> int:
        old = [k for k, c in self.docs.items() if c.comment_until + KEEP_AFTER_WINDOW < now]
        for k in old:
            del self.docs[k]
        return len(old)


class MemoryStoryRegister:
    """services.ingest.stories.register's rules in a dict."""

    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}

    def take(self, story_id: str, vote_ref: str, district_code: str) -> bool:
        if f"vote:{vote_ref}" in self.docs:
            return False
        self.docs[f"vote:{vote_ref}"] = {"story": story_id}
        self.docs[story_id] = {"district_code": district_code}
        return True

    def drop(self, story_id: str, vote_ref: str) -> None:
        self.docs.pop(story_id, None)
        self.docs.pop(f"vote:{vote_ref}", None)

    def district_of(self, story_id: str) -> str | None:
        doc = self.docs.get(story_id)
        return doc["district_code"] if doc else None


class MemoryStorySteps:
    """services.ingest.line.story_steps' rules in a dict (no expiry needed in unit tests)."""

    def __init__(self) -> None:
        self.docs: dict = {}

    def get(self, key: str):
        return self.docs.get(key)

    def save(self, key: str, step, now: datetime) -> None:
        self.docs[key] = step

    def clear(self, key: str) -> None:
        self.docs.pop(key, None)

    def expire(self, now: datetime) -> int:
        return 0

"""Where the LINE story step remembers a citizen between messages: one document per HMAC(userId).

Holds only what the step needs (the vote, the redacted story while consent is asked, the answers), and
expires an hour after the last answer (`due` hours, docs/store.md). The full name typed for a credit is
never stored: the credit is made from it at once (services/ingest/stories/credit.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Protocol

from pymongo.collection import Collection

from shared.expiry import DUE, due_label, ensure_due_index, expire_due

STEP_TTL = timedelta(hours=1)


@dataclass(frozen=True)
class StoryStep:
    vote_id: str
    district_code: str
    voter_key: str | None
    step: str  # "text" (waiting for the story), "publish" (consent), "credit", "name"
    text: str = ""  # redacted
    publish: bool | None = None
    credit: str = "anonymous"


class StorySteps(Protocol):
    def get(self, key: str) -> StoryStep | None: ...

    def save(self, key: str, step: StoryStep, now: datetime) -> None: ...

    def clear(self, key: str) -> None: ...

    def expire(self, now: datetime) -> int: ...


class MongoStorySteps:
    def __init__(self, collection: Collection):
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_due_index(self.collection)

    def get(self, key: str) -> StoryStep | None:
        doc = self.collection.find_one({"_id": key}, {"_id": 0, DUE: 0})
        return StoryStep(**doc) if doc else None

    def save(self, key: str, step: StoryStep, now: datetime) -> None:
        self.collection.replace_one({"_id": key}, {**asdict(step), DUE: due_label(now + STEP_TTL)}, upsert=True)

    def clear(self, key: str) -> None:
        self.collection.delete_one({"_id": key})

    def expire(self, now: datetime) -> int:
        return expire_due(self.collection, now)

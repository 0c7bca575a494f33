"""Which stories ingest has taken: one per vote, and each story's district for its withdrawal.

Holds hashes and district codes only (no code, no text, no voter): `_id` is the story id, or
`vote:<keyed hash of the vote id>` for the one-story-per-vote rule. No expiry: consent can be
withdrawn for as long as the story is kept.
"""

from __future__ import annotations

from typing import Protocol

from pymongo import DeleteOne
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError


class StoryRegister(Protocol):
    def take(self, story_id: str, vote_ref: str, district_code: str) -> bool:
        """Record a new story for a vote; False if the vote already has one."""

    def drop(self, story_id: str, vote_ref: str) -> None:
        """Undo `take` (the story could not be published)."""

    def district_of(self, story_id: str) -> str | None: ...


class MongoStoryRegister:
    def __init__(self, collection: Collection):
        self.collection = collection

    def take(self, story_id: str, vote_ref: str, district_code: str) -> bool:
        try:
            self.collection.insert_one({"_id": f"vote:{vote_ref}", "story": story_id})
        except DuplicateKeyError:
            return False
        self.collection.insert_one({"_id": story_id, "district_code": district_code})
        return True

    def drop(self, story_id: str, vote_ref: str) -> None:
        """Two keyed deletes in one round trip (an `_id $in` filter reads the whole collection on FerretDB v1)."""
        self.collection.bulk_write([DeleteOne({"_id": story_id}), DeleteOne({"_id": f"vote:{vote_ref}"})],
                                   ordered=False)

    def district_of(self, story_id: str) -> str | None:
        doc = self.collection.find_one({"_id": story_id}, {"district_code": 1})
        return doc["district_code"] if doc else None


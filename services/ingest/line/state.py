"""Where the bot remembers a citizen between messages: one document per HMAC(userId), never the id.

The comment slot is taken with a conditional update, so one vote gets one comment even when two
texts race, and a redelivered comment finds its own slot again. Every write is by `_id`; expiry
goes by `due` hour (docs/store.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from pymongo import ReturnDocument
from pymongo.collection import Collection

from services.ingest.line.conversation import Conversation
from shared.expiry import DUE, due_label, ensure_due_index, expire_due

KEEP_AFTER_WINDOW = timedelta(days=1)  # long enough to recognise LINE's redeliveries


class ConversationStore(Protocol):
    def get(self, key: str) -> Conversation | None: ...

    def save(self, key: str, conversation: Conversation) -> None: ...

    def reserve_comment(self, key: str, vote_id: str, comment_id: str) -> Conversation | None:
        """Take the vote's comment slot for comment_id; None if another comment holds it."""

    def set_comment_published(self, key: str, comment_id: str, published: bool) -> None:
        """Record the publish; on failure (published=False) the slot is freed for a retry."""

    def expire(self, now: datetime) -> int: ...


def _from_doc(doc: dict) -> Conversation:
    return Conversation(vote_id=doc["vote_id"], district_code=doc["district_code"], voted_at=doc["voted_at"],
                        comment_until=doc["comment_until"], comment_id=doc.get("comment_id"),
                        comment_published=bool(doc.get("comment_published")))


class MongoConversationStore:
    def __init__(self, collection: Collection):
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_due_index(self.collection)

    def get(self, key: str) -> Conversation | None:
        doc = self.collection.find_one({"_id": key})
        return _from_doc(doc) if doc else None

    def save(self, key: str, conversation: Conversation) -> None:
        doc = {"vote_id": conversation.vote_id, "district_code": conversation.district_code,
               "voted_at": conversation.voted_at, "comment_until": conversation.comment_until,
               "comment_id": conversation.comment_id, "comment_published": conversation.comment_published,
               "expires_at": conversation.comment_until + KEEP_AFTER_WINDOW}
        doc[DUE] = due_label(doc["expires_at"])
        self.collection.replace_one({"_id": key}, doc, upsert=True)

    def reserve_comment(self, key: str, vote_id: str, comment_id: str) -> Conversation | None:
        doc = self.collection.find_one_and_update(
            {"_id": key, "vote_id": vote_id, "comment_id": {"$in": [None, comment_id]}},
            {"$set": {"comment_id": comment_id}}, return_document=ReturnDocument.AFTER)
        return _from_doc(doc) if doc else None

    def set_comment_published(self, key: str, comment_id: str, published: bool) -> None:
        update = {"comment_published": True} if published else {"comment_id": None, "comment_published": False}
        self.collection.update_one({"_id": key, "comment_id": comment_id}, {"$set": update})

    def expire(self, now: datetime) -> int:
        return expire_due(self.collection, now)

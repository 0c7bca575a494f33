"""Where the bot remembers a citizen between messages: one document per HMAC(userId), never the id.

The comment slot is taken with a conditional update, so of two texts that race one is attached and the
other is asked to send again (never both appended from the same old text), and a redelivered text finds
its own slot again. The vote's comment so far (redacted) is kept beside it: each further text is
appended to it and the whole is published again (services/ingest/line/conversation.py). Every write is by `_id`; expiry
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
        """Take the vote's comment slot for comment_id: free, already its own, or held by a text whose publish
        is done; None if another text is being attached right now."""

    def set_comment_published(self, key: str, comment_id: str, text: str | None) -> None:
        """Record the publish of the whole comment `text`; None (failure) frees the slot for a retry."""

    def set_praise(self, key: str, vote_id: str, step: str, praise_id: str | None) -> None:
        """The praise question's step for this vote (a later vote's conversation is left alone)."""

    def expire(self, now: datetime) -> int: ...


def _from_doc(doc: dict) -> Conversation:
    return Conversation(vote_id=doc["vote_id"], district_code=doc["district_code"], voted_at=doc["voted_at"],
                        comment_until=doc["comment_until"], comment_id=doc.get("comment_id"),
                        comment_published=bool(doc.get("comment_published")),
                        comment_text=doc.get("comment_text") or "", comment_ids=tuple(doc.get("comment_ids") or ()),
                        praise_step=doc.get("praise_step") or "", praise_id=doc.get("praise_id"))


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
               "comment_text": conversation.comment_text, "comment_ids": list(conversation.comment_ids),
               "praise_step": conversation.praise_step, "praise_id": conversation.praise_id,
               "expires_at": conversation.comment_until + KEEP_AFTER_WINDOW}
        doc[DUE] = due_label(doc["expires_at"])
        self.collection.replace_one({"_id": key}, doc, upsert=True)

    def reserve_comment(self, key: str, vote_id: str, comment_id: str) -> Conversation | None:
        doc = self.collection.find_one_and_update(  # free, or this text's own (a redelivery)
            {"_id": key, "vote_id": vote_id, "comment_id": {"$in": [None, comment_id]}},
            {"$set": {"comment_id": comment_id}}, return_document=ReturnDocument.AFTER)
        if doc is None:  # held by an earlier text whose publish is done: this one is the next
            doc = self.collection.find_one_and_update(
                {"_id": key, "vote_id": vote_id, "comment_published": True},
                {"$set": {"comment_id": comment_id, "comment_published": False}}, return_document=ReturnDocument.AFTER)
        return _from_doc(doc) if doc else None

    def set_comment_published(self, key: str, comment_id: str, text: str | None) -> None:
        if text is None:
            self.collection.update_one({"_id": key, "comment_id": comment_id},
                                       {"$set": {"comment_id": None, "comment_published": False}})
            return
        self.collection.update_one({"_id": key, "comment_id": comment_id},
                                   {"$set": {"comment_published": True, "comment_text": text},
                                    "$push": {"comment_ids": comment_id}})

    def set_praise(self, key: str, vote_id: str, step: str, praise_id: str | None) -> None:
        self.collection.update_one({"_id": key, "vote_id": vote_id},
                                   {"$set": {"praise_step": step, "praise_id": praise_id}})

    def expire(self, now: datetime) -> int:
        return expire_due(self.collection, now)

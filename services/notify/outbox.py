"""Exactly one message per (alert, event, receiver): the notification log and the outbox.

Deciding to send, in three steps, each safe to crash after:
1. a *draft* outbox document (random id) naming the candidate items;
2. one claim per (alert, event, receiver) in `notify_log`, plain inserts naming the draft: an item
   already claimed belongs to an earlier message and is left out of this one;
3. the draft becomes *pending* with the items it holds and its rendered content.
A draft left by a crash between 1 and 3 is finished later (`finish_drafts`) from its claims, so
every claimed item is in exactly one message that will be sent. Sending is the dispatcher's job.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from services.notify.store import NotifyStore

log = logging.getLogger(__name__)

DRAFT, PENDING, DELIVERED, DEAD = "draft", "pending", "delivered", "dead"
Render = Callable[[list[tuple[str, str]], datetime], dict]


def log_key(alert_id: str, event: str, receiver: str) -> str:
    return f"{alert_id}|{event}|{receiver}"


def _items_of(keys: list[str]) -> list[tuple[str, str]]:
    return [(k.split("|")[0], k.split("|")[1]) for k in keys]


class Outbox:
    def __init__(self, store: NotifyStore):
        self.store = store

    def enqueue(self, receiver: str, contact_key: str, transport: str, items: list[tuple[str, str]],
                render: Render | None, now: datetime, *, content: dict | None = None) -> str | None:
        """The message id if some item was ours to send, else None (all sent before).

        `render` builds the content from the items actually held; a message whose content does not
        depend on them (the digest, one item) passes `content` instead, kept in the draft.
        """
        message_id = uuid.uuid4().hex
        keys = [log_key(alert_id, event, receiver) for alert_id, event in items]
        draft = {"_id": message_id, "state": DRAFT, "receiver": receiver, "contact": contact_key,
                 "transport": transport, "keys": keys, "created_at": now, "attempts": 0, "next_at": now,
                 "lease_until": None}
        if content is not None:
            draft["content"] = content
        self.store.outbox.insert_one(draft)
        held = self.store.claim(keys, message_id, now)
        return self._finish(message_id, [k for k in keys if k in held], render, now, content)

    def _finish(self, message_id: str, keys: list[str], render: Render | None, now: datetime,
                content: dict | None = None) -> str | None:
        if not keys:
            self.store.outbox.delete_one({"_id": message_id})
            return None
        if content is None:
            content = render(_items_of(keys), now)
        finished = self.store.outbox.update_one(
            {"_id": message_id, "state": DRAFT},
            {"$set": {"state": PENDING, "keys": keys, "content": content, "next_at": now}})
        if not finished.modified_count:
            log.error("draft finished by recovery meanwhile: these events stay unsent",
                      extra={"message_id": message_id, "events": keys})
            return None
        return message_id

    def finish_drafts(self, render_for: Callable[[dict], Render], now: datetime,
                      older_than: timedelta = timedelta(seconds=60)) -> int:
        """Drafts a crashed or failed decider left: keep the items whose claim names the draft, then send.

        `older_than` must exceed how long a live decider can take between its draft and its finish
        (milliseconds; a store error raises and the batch is redone, leaving the draft to this).
        """
        finished = 0
        for draft in self.store.outbox.find({"state": DRAFT, "created_at": {"$lt": now - older_than}}):
            keys = [k for k in draft["keys"] if self.store.claim_holder(k) == draft["_id"]]
            content = draft.get("content")
            if self._finish(draft["_id"], keys, None if content else render_for(draft), now, content):
                finished += 1
        return finished

"""The moderation store: one document per story (`notify_stories`) and the audit trail
(`notify_story_audit`). Rebuilt from stories.v1 by replay: every write from the log is idempotent
(`$setOnInsert` for a telling, keyed audit entries), and a withdrawal wins over a telling replayed later.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable
from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.notify.stories.moderation import APPROVED, GONE, NEW, REJECTED, Story
from shared.events import StoryEvent

LIST_MAX = 500


def _story(doc: dict) -> Story:
    return Story(doc["_id"], doc["district_code"], doc["status"], doc.get("text", ""), doc.get("edited"),
                 bool(doc.get("publish")), doc.get("credit_name"), doc.get("told_at"), doc.get("consent_version", ""),
                 doc.get("channel", ""), doc.get("reason"), tuple(doc.get("shortlist", ())), bool(doc.get("public")))


class StoryStore:
    def __init__(self, db: Database):
        self.stories = db.notify_stories
        self.audit = db.notify_story_audit

    def ensure_indexes(self) -> None:
        self.stories.create_index([("status", ASCENDING), ("told_at", DESCENDING)])
        self.stories.create_index([("district_code", ASCENDING), ("told_at", DESCENDING)])
        self.audit.create_index([("at", ASCENDING)])

    # ------------------------------------------------------------------ from the log (the consumer)
    def told(self, event: StoryEvent) -> None:
        self.stories.update_one({"_id": event.story_id}, {"$setOnInsert": {
            "district_code": event.district_code, "status": NEW, "text": event.text, "edited": None,
            "publish": event.publish, "credit": event.credit, "credit_name": event.credit_name,
            "consent_version": event.consent_version, "channel": event.channel, "told_at": event.at,
            "vote_id": event.vote_id, "shortlist": [], "public": False}}, upsert=True)
        self._log(f"{event.story_id}:told", event.story_id, event.district_code, "told", "citizen", event.at,
                  consent={"publish": event.publish, "credit": event.credit, "version": event.consent_version,
                           "channel": event.channel})

    def withdrawn(self, event: StoryEvent) -> None:
        """Consent withdrawn: the text and the edit are erased; the record of the consent stays."""
        self.stories.update_one({"_id": event.story_id}, {
            "$set": {"status": GONE, "text": "", "edited": None, "publish": False, "public": False,
                     "withdrawn_at": event.at},
            "$setOnInsert": {"district_code": event.district_code}}, upsert=True)
        self._log(f"{event.story_id}:withdrawn", event.story_id, event.district_code, "withdrawn", "citizen",
                  event.at, consent={"channel": event.channel})

    # ------------------------------------------------------------------ the centre's decisions (the web)
    def get(self, story_id: str) -> Story | None:
        doc = self.stories.find_one({"_id": story_id})
        return _story(doc) if doc else None

    def list(self, *, status: str | None = None, districts: Iterable[str] | None = None,
             shortlist: str | None = None) -> list[Story]:
        """The queue, newest first (at most LIST_MAX). A district filter (one district, or a province's: at most
        a few dozen) is one equality read per district on the indexed `district_code`, merged here: a
        `district_code $in` filter is not pushed down on FerretDB v1 and would read the whole collection."""
        query: dict = {}
        if status:
            query["status"] = status
        if shortlist:
            query["shortlist"] = shortlist
        if districts is None:
            return [_story(d) for d in self.stories.find(query).sort("told_at", DESCENDING).limit(LIST_MAX)]
        found = [d for code in sorted(districts)
                 for d in self.stories.find({**query, "district_code": code}).sort("told_at", DESCENDING)
                 .limit(LIST_MAX)]
        found.sort(key=lambda d: (d.get("told_at") is not None, d.get("told_at") or 0), reverse=True)
        return [_story(d) for d in found[:LIST_MAX]]

    def for_district(self, district_code: str) -> list[Story]:
        """Every story about a district, newest first (withdrawn ones left out): for the chief's inbox."""
        found = self.stories.find({"district_code": district_code}).sort("told_at", DESCENDING).limit(LIST_MAX)
        return [story for story in map(_story, found) if story.status != GONE]

    def edit(self, story_id: str, text: str, by: str, now: datetime) -> bool:
        return self._decide(story_id, {"edited": text}, by, now, "edit")

    def approve(self, story_id: str, by: str, now: datetime) -> bool:
        """Approved only while consent holds and the story is not withdrawn (checked in the write itself)."""
        return self._decide(story_id, {"status": APPROVED, "public": True}, by, now, "approve",
                            also={"publish": True})

    def reject(self, story_id: str, reason: str, by: str, now: datetime) -> bool:
        return self._decide(story_id, {"status": REJECTED, "public": False, "reason": reason}, by, now, "reject",
                            reason=reason)

    def shortlist(self, story_id: str, tag: str, by: str, now: datetime) -> bool:
        done = self.stories.update_one({"_id": story_id, "status": {"$ne": GONE}},
                                       {"$addToSet": {"shortlist": tag}}).matched_count == 1
        if done:
            self._log(uuid.uuid4().hex, story_id, self._district(story_id), "shortlist", by, now, reason=tag)
        return done

    def unpublish_failed(self, story_id: str) -> None:
        """The approval's record could not reach Kafka: not public (the centre approves again)."""
        self.stories.update_one({"_id": story_id, "status": APPROVED}, {"$set": {"public": False, "status": NEW}})

    def _decide(self, story_id: str, changes: dict, by: str, now: datetime, action: str, *,
                also: dict | None = None, reason: str | None = None) -> bool:
        query = {"_id": story_id, "status": {"$in": [NEW, APPROVED, REJECTED]}, **(also or {})}
        done = self.stories.update_one(query, {"$set": {**changes, "decided_at": now}}).matched_count == 1
        if done:
            self._log(uuid.uuid4().hex, story_id, self._district(story_id), action, by, now, reason=reason)
        return done

    def _district(self, story_id: str) -> str:
        doc = self.stories.find_one({"_id": story_id}, {"district_code": 1})
        return doc["district_code"] if doc else ""

    def _log(self, entry_id: str, story_id: str, district_code: str, action: str, by: str, at: datetime,
             **extra) -> None:
        with contextlib.suppress(DuplicateKeyError):  # a replayed telling or withdrawal: logged once
            self.audit.insert_one({"_id": entry_id, "story_id": story_id, "district_code": district_code,
                                   "action": action, "by": by, "at": at, **extra})

    def audit_trail(self, limit: int = 100_000) -> list[dict]:
        return list(self.audit.find({}).sort("at", ASCENDING).limit(limit))

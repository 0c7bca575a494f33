"""The moderation store: one document per story (`notify_stories`) and the audit trail
(`notify_story_audit`). Rebuilt from stories.v1 then stories.decisions.v1 by replay
(services/notify/stories/rebuild.py): every write from the logs is idempotent (`$setOnInsert` for a
telling, absolute `$set`s for a decision, audit entries keyed), and a withdrawal wins over a telling replayed
later and over every decision.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.notify.stories.moderation import APPROVED, GONE, NEW, REJECTED, Story
from shared.events import StoryDecisionEvent, StoryEvent

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
        # FerretDB's GIN twins serve single-field indexes only (docs/store.md): this one makes the district's
        # equality reads (the chief's inbox, the queue by province) keyed there; MongoDB uses either.
        self.stories.create_index([("district_code", ASCENDING)])
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
        """Consent withdrawn: the text and the edit are erased, and every decision's mark on the story (a story
        withdrawn is kept for no film), so the state after a withdrawal is the same whichever decisions came
        before it (what makes the rebuild equal the live state); the record of the consent stays."""
        self.stories.update_one({"_id": event.story_id}, {
            "$set": {"status": GONE, "text": "", "edited": None, "publish": False, "public": False,
                     "reason": None, "shortlist": [], "decided_at": None, "withdrawn_at": event.at},
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

    def all(self) -> list[Story]:
        """Every story (the rebuild's reconciliation, off any request path: a campaign's stories, thousands)."""
        return [_story(d) for d in self.stories.find({})]

    def for_district(self, district_code: str) -> list[Story]:
        """Every story about a district, newest first (withdrawn ones left out): for the chief's inbox."""
        found = self.stories.find({"district_code": district_code}).sort("told_at", DESCENDING).limit(LIST_MAX)
        return [story for story in map(_story, found) if story.status != GONE]

    def apply(self, decision: StoryDecisionEvent) -> bool:
        """A decision as stories.decisions.v1 holds it, written conditionally: the live path (after Kafka
        acknowledged it) and the rebuild (replaying the topic) both come here. False when the story is
        unknown or withdrawn (a withdrawal is terminal: nothing is applied after it), or an approval without
        consent. Never touches `public`: that follows the public copy (set_public). The audit entry is keyed
        by the decision id and written whether or not the story changed, so the trail is the decisions log,
        the same live and rebuilt; a decision replayed twice is one entry."""
        story_id, at = decision.story_id, decision.at
        query: dict = {"_id": story_id, "status": {"$ne": GONE}}
        if decision.action == "edit":
            update: dict = {"$set": {"edited": decision.text, "decided_at": at}}
        elif decision.action == "approve":
            query["publish"] = True  # approved only while consent holds (checked in the write itself)
            update = {"$set": {"status": APPROVED, "decided_at": at}}
        elif decision.action == "reject":
            update = {"$set": {"status": REJECTED, "reason": decision.reason, "decided_at": at}}
        else:
            update = {"$addToSet": {"shortlist": decision.shortlist}}
        done = self.stories.update_one(query, update).matched_count == 1
        self._log(decision.decision_id, story_id, decision.district_code, decision.action, decision.by, at,
                  reason=decision.reason if decision.action == "reject" else decision.shortlist)
        return done

    def set_public(self, story_id: str, public: bool) -> None:
        """Whether the story's public copy is out: set once stories.published.v1 acknowledged it."""
        self.stories.update_one({"_id": story_id}, {"$set": {"public": public}})

    def _log(self, entry_id: str, story_id: str, district_code: str, action: str, by: str, at: datetime,
             **extra) -> None:
        with contextlib.suppress(DuplicateKeyError):  # a replayed telling or withdrawal: logged once
            self.audit.insert_one({"_id": entry_id, "story_id": story_id, "district_code": district_code,
                                   "action": action, "by": by, "at": at, **extra})

    def audit_trail(self, limit: int = 100_000) -> list[dict]:
        return list(self.audit.find({}).sort("at", ASCENDING).limit(limit))

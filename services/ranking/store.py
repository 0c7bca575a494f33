"""Ranking's document-store adapter: figures by district, daily snapshots, awards, a change counter.

Every write on the hot path is keyed by `_id` (FerretDB v1 pushes little else down):
- figures: `_id` = district code; an event's standing replaces the stored one only if its order key
  is greater (`{_id, k: {$lt: key}}`), so a late or redelivered scores.v1 never wins; the first
  standing of a district is a plain insert (a clash means another writer got there first: re-check).
- snapshots: `_id` = `<day>:<group>:<window>`, plain inserts, never updated (a clash: already taken).
- awards: `_id` = name, a plain insert: a second close of the same name is refused by the store itself.
- state: `_id` = "state", `$inc` of a version after every batch that changed figures (the web
  processes poll it to know when to reload), and of an awards counter when an award is closed.
- changes: `_id` = that version, what the batch changed (the applied standings as one JSON string),
  so a web process applies a batch's few districts instead of reading all 878 figures again: FerretDB
  v1 spends ~0.4 ms of CPU per returned document (per nested value, in fact; a JSON string is one
  value), so a full read costs ~0.4 s, ten times a second, while votes flow. The newest
  `CHANGES_KEPT` are kept: each new change deletes the one that many versions older, by `_id`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

STATE_ID = "state"
CHANGES_KEPT = 1000


class RankingStore:
    def __init__(self, db: Database, prefix: str = "ranking"):
        self.figures = db[f"{prefix}_figures"]
        self.snapshots = db[f"{prefix}_snapshots"]
        self.awards = db[f"{prefix}_awards"]
        self.state = db[f"{prefix}_state"]
        self.changes = db[f"{prefix}_changes"]
        self.stories = db[f"{prefix}_stories"]  # the published stories of service (stories.published.v1)

    def ensure_indexes(self) -> None:
        """Only `_id` lookups are used; nothing to add (kept for `sangsuk init`'s symmetry)."""

    # ------------------------------------------------------------------ figures

    def put_if_newer(self, code: str, key: str, standing: dict) -> bool:
        """Store the district's standing if `key` orders after the stored one; False if stale or equal.

        Stored as `{_id, k, f}`, the standing one JSON text `f`: FerretDB v1 converts every value of a
        document it reads or rewrites (docs/store.md, "Values cost"), and a standing has ~40 of them.
        """
        doc = {"k": key, "f": json.dumps(standing, ensure_ascii=False, separators=(",", ":"))}
        if self.figures.replace_one({"_id": code, "k": {"$lt": key}}, doc).matched_count:
            return True
        try:  # plain insert, not upsert: FerretDB reports a clash only for a plain insert
            self.figures.insert_one({"_id": code, **doc})
            return True
        except DuplicateKeyError:
            # It exists with a key at or after ours, or another writer inserted first: one more try decides.
            return self.figures.replace_one({"_id": code, "k": {"$lt": key}}, doc).matched_count == 1

    def key_of(self, code: str) -> str | None:
        doc = self.figures.find_one({"_id": code}, {"k": 1})
        return doc["k"] if doc else None

    def keys(self) -> dict[str, str]:
        return {d["_id"]: d["k"] for d in self.figures.find({}, {"k": 1})}

    def all_figures(self) -> dict[str, dict]:
        """code -> {k, ...standing}; documents written before the text form (nested fields) read the same."""
        return {d.pop("_id"): figure_of(d) for d in self.figures.find({})}

    # ------------------------------------------------------------------ change counter

    def record_change(self, figures: dict[str, dict], now: datetime) -> int:
        """Count a batch's applied figures (`{code: {k, ...standing}}`) as a new version and log them under it.

        The version is taken first, then the change is written: a reader that finds the version but not
        yet its change waits for it, and one that never appears (a crash in between) costs a full reload.
        """
        return self._log({"$inc": {"version": 1}, "$set": {"updated_at": now}},
                         {"at": now, "figures": json.dumps(figures, separators=(",", ":"))})

    def bump(self, now: datetime) -> int:
        """A new version whose change is "read everything again" (figures written by other means: tools, tests)."""
        return self._log({"$inc": {"version": 1}, "$set": {"updated_at": now}}, {"at": now, "reload": True})

    def note_award(self) -> int:
        """An award was closed: web processes reload, and read the awards again (only when this counter moves)."""
        return self._log({"$inc": {"awards": 1, "version": 1}}, {"reload": True})

    def note_snapshot(self, day: str) -> int:
        """A daily snapshot was taken: web processes reload (the rank history and yesterday's ranks moved)."""
        return self._log({"$max": {"snapshot_day": day}, "$inc": {"version": 1}}, {"reload": True})

    def change(self, version: int) -> dict | None:
        """What a version changed: `{"figures": {code: doc}}`, `{"stories": True}` (read the published stories
        again) or `{"reload": True}`; None if not (yet) logged."""
        doc = self.changes.find_one({"_id": version})
        if doc is None:
            return None
        if doc.get("reload"):
            return {"reload": True}
        return {"stories": True} if doc.get("stories") else {"figures": json.loads(doc["figures"])}

    def read_state(self) -> dict:
        return self.state.find_one({"_id": STATE_ID}) or {"version": 0, "updated_at": None}

    def _log(self, update: dict, change: dict) -> int:
        state = self.state.find_one_and_update({"_id": STATE_ID}, update, upsert=True,
                                               return_document=ReturnDocument.AFTER)
        version = int(state["version"])
        try:
            self.changes.insert_one({"_id": version, **change})
        except DuplicateKeyError:  # a log older than the counter (its state was reset): this version is ours now
            self.changes.replace_one({"_id": version}, change)
        if version > CHANGES_KEPT:
            self.changes.delete_one({"_id": version - CHANGES_KEPT})
        return version

    # ------------------------------------------------------------------ snapshots

    def snapshot_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of these snapshots exist (one `_id` lookup each)."""
        return {i for i in ids if self.snapshots.find_one({"_id": i}, {"_id": 1}) is not None}

    def insert_snapshot(self, doc: dict) -> bool:
        try:
            self.snapshots.insert_one(doc)
            return True
        except DuplicateKeyError:
            return False

    def snapshot(self, snapshot_id: str) -> dict | None:
        return self.snapshots.find_one({"_id": snapshot_id})

    def all_snapshots(self) -> list[dict]:
        """Every daily snapshot (the rank history of the campaign: 9 a day). A read path, not a hot one."""
        return list(self.snapshots.find({}))

    # ------------------------------------------------------------------ awards

    def insert_award(self, doc: dict) -> bool:
        try:
            self.awards.insert_one(doc)
            return True
        except DuplicateKeyError:
            return False

    def withdraw_award(self, name: str, withdrawn: dict) -> bool:
        """Mark a closed award withdrawn (its snapshot and hash untouched); False if none, or withdrawn already."""
        result = self.awards.update_one({"_id": name, "withdrawn": {"$exists": False}},
                                        {"$set": {"withdrawn": withdrawn}})
        return result.modified_count == 1

    def award(self, name: str) -> dict | None:
        return self.awards.find_one({"_id": name})

    def all_awards(self) -> list[dict]:
        """Every closed award (a few a year; read by the web process only when `note_award` moved the state)."""
        return list(self.awards.find({}))

    # ------------------------------------------------------------------ published stories

    def apply_story(self, story_id: str, doc: dict | None) -> bool:
        """A published story stored under its id, or (None) deleted: the last record of the key wins, as the
        compacted topic keeps it. True if anything changed."""
        if doc is None:
            return self.stories.delete_one({"_id": story_id}).deleted_count == 1
        self.stories.replace_one({"_id": story_id}, doc, upsert=True)
        return True

    def note_stories(self) -> int:
        """Stories were published or withdrawn: web processes read them again (only when this counter moves)."""
        return self._log({"$inc": {"stories": 1, "version": 1}}, {"stories": True})

    def all_stories(self) -> list[dict]:
        """Every published story (a few hundred at most; read by the web process only when `note_stories` moved)."""
        return list(self.stories.find({}))

    def drop(self) -> None:
        for collection in (self.figures, self.snapshots, self.awards, self.state, self.changes, self.stories):
            collection.drop()


def figure_of(doc: dict) -> dict:
    return {"k": doc["k"], **json.loads(doc["f"])} if "f" in doc else doc

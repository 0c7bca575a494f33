"""An in-memory stand-in of our own RankingStore for unit tests (same contract, no server)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime


class MemoryRankingStore:
    def __init__(self):
        self.figures: dict[str, dict] = {}
        self.snapshots: dict[str, dict] = {}
        self.awards: dict[str, dict] = {}
        self.stories: dict[str, dict] = {}
        self.state: dict = {"version": 0, "updated_at": None}
        self.changes: dict[int, dict] = {}
        self.writes = 0

    def put_if_newer(self, code: str, key: str, standing: dict) -> bool:
        held = self.figures.get(code)
        if held is not None and held["k"] >= key:
            return False
        self.writes += 1
        self.figures[code] = {"k": key, **copy.deepcopy(standing)}
        return True

    def key_of(self, code: str) -> str | None:
        return self.figures[code]["k"] if code in self.figures else None

    def keys(self) -> dict[str, str]:
        return {c: d["k"] for c, d in self.figures.items()}

    def all_figures(self) -> dict[str, dict]:
        return copy.deepcopy(self.figures)

    def _log(self, change: dict) -> int:
        self.state = {**self.state, "version": self.state["version"] + 1}
        self.changes[self.state["version"]] = copy.deepcopy(change)
        return self.state["version"]

    def record_change(self, figures: dict[str, dict], now: datetime) -> int:
        self.state["updated_at"] = now
        return self._log({"figures": figures})

    def bump(self, now: datetime) -> int:
        self.state["updated_at"] = now
        return self._log({"reload": True})

    def note_award(self) -> int:
        self.state["awards"] = self.state.get("awards", 0) + 1
        return self._log({"reload": True})

    def note_snapshot(self, day: str) -> int:
        self.state["snapshot_day"] = max(day, self.state.get("snapshot_day", ""))
        return self._log({"reload": True})

    def change(self, version: int) -> dict | None:
        return copy.deepcopy(self.changes.get(version))

    def read_state(self) -> dict:
        return dict(self.state)

    def snapshot_ids(self, ids: Iterable[str]) -> set[str]:
        return {i for i in ids if i in self.snapshots}

    def insert_snapshot(self, doc: dict) -> bool:
        if doc["_id"] in self.snapshots:
            return False
        self.snapshots[doc["_id"]] = copy.deepcopy(doc)
        return True

    def snapshot(self, snapshot_id: str) -> dict | None:
        return copy.deepcopy(self.snapshots.get(snapshot_id))

    def all_snapshots(self) -> list[dict]:
        return copy.deepcopy(list(self.snapshots.values()))

    def insert_award(self, doc: dict) -> bool:
        if doc["_id"] in self.awards:
            return False
        self.awards[doc["_id"]] = copy.deepcopy(doc)
        return True

    def withdraw_award(self, name: str, withdrawn: dict) -> bool:
        if name not in self.awards or "withdrawn" in self.awards[name]:
            return False
        self.awards[name]["withdrawn"] = copy.deepcopy(withdrawn)
        return True

    def award(self, name: str) -> dict | None:
        return copy.deepcopy(self.awards.get(name))

    def all_awards(self) -> list[dict]:
        return copy.deepcopy(list(self.awards.values()))

    def apply_story(self, story_id: str, doc: dict | None) -> bool:
        if doc is None:
            return self.stories.pop(story_id, None) is not None
        self.stories[story_id] = {"_id": story_id, **copy.deepcopy(doc)}
        return True

    def note_stories(self) -> int:
        self.state["stories"] = self.state.get("stories", 0) + 1
        return self._log({"stories": True})

    def all_stories(self) -> list[dict]:
        return copy.deepcopy(list(self.stories.values()))

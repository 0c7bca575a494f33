"""The feedback view's store (`notify_feedback`): written by notify's ballots processor, read by the
chief's inbox, the alert page, the digest and the centre's search. Documents: services/notify/feedback.py.

Every write is keyed by `_id` (the vote id) and every read filters by equality on an indexed field
(`dday` for one district's day, `day` for every district's day, `district`), as docs/store.md asks of
FerretDB v1, which pushes nothing else down: a date range is read one Bangkok day at a time, so its cost
follows the days asked and what they hold, never the size of the collection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta

from pymongo import DESCENDING, UpdateOne
from pymongo.collection import Collection

from services.notify.feedback import FeedbackWrite, complete, district_day
from services.notify.feedback_latest import comment_entries, folded
from services.notify.store import vote_key
from shared.praise import PERSON, UNIT


class FeedbackStore:
    """Keyed writes and per-day reads of the feedback view; with `latest`, also each district's newest
    comments in one document (`{_id: district, items: [...]}`, feedback_latest.py) for the alert page."""

    def __init__(self, collection: Collection, latest: Collection | None = None,
                 praise_days: Collection | None = None):
        self.docs = collection
        self.latest = latest
        self.praise_days = praise_days

    def ensure_indexes(self) -> None:
        """Equality indexes (each gets its GIN twin on FerretDB) and, for MongoDB, a district's newest first."""
        self.docs.create_index("dday")
        self.docs.create_index("day")
        self.docs.create_index("district")
        self.docs.create_index([("district", 1), ("at", DESCENDING)])

    # ------------------------------------------------------------------ writes (the ballots processor)
    def apply(self, writes: Iterable[FeedbackWrite]) -> int:
        """One round trip for a batch's upserts; a replay writes the same values again."""
        writes = list(writes)
        ops = []
        for write in writes:
            update: dict = {"$set": write.sets}
            if write.on_insert:
                update["$setOnInsert"] = write.on_insert
            ops.append(UpdateOne({"_id": write.vote_id}, update, upsert=True))
        if ops:
            self.docs.bulk_write(ops, ordered=True)
            if self.latest is not None:
                self._fold_latest(writes)
            if self.praise_days is not None:
                self._tally_praise(writes)
        return len(ops)

    def _tally_praise(self, writes: list[FeedbackWrite]) -> None:
        """Each counted praise beside its district-day, as a set keyed by vote (a replay sets the same entry):
        `{_id: dday, m: {<vote key>: [unit_id, person_key]}}`. The inbox then counts a month of praise from
        30 small documents instead of reading every feedback document of the month."""
        sets: dict[str, dict] = {}
        unsets: dict[str, dict] = {}
        for write in writes:
            praise = write.sets.get("praise")
            if not praise:
                continue  # this write says nothing of praise (a comment alone): the day's entry stays
            dday = (write.on_insert | write.sets)["dday"]  # a later message carries the vote's day on insert
            entry = f"m.{vote_key(write.vote_id)}"
            if write.sets.get("praise_counted"):
                sets.setdefault(dday, {})[entry] = [praise.get("unit_id"), praise.get("person_key")]
                unsets.get(dday, {}).pop(entry, None)
            else:  # a praise given again that names no one: the earlier one no longer counts
                unsets.setdefault(dday, {})[entry] = ""
                sets.get(dday, {}).pop(entry, None)
        ops = [UpdateOne({"_id": dday}, {"$set": fields}, upsert=True) for dday, fields in sets.items() if fields]
        ops += [UpdateOne({"_id": dday}, {"$unset": fields}) for dday, fields in unsets.items() if fields]
        if ops:
            self.praise_days.bulk_write(ops, ordered=False)

    def praise_mentions(self, district: str, first: date, last: date) -> list[dict]:
        """The counted praise of a district's days, shaped as feedback documents for `count_praise`
        (one keyed read per day)."""
        out = []
        day = first
        while day <= last and self.praise_days is not None:
            doc = self.praise_days.find_one({"_id": district_day(district, day.isoformat())}) or {}
            for unit_id, person_key in (doc.get("m") or {}).values():
                out.append({"praise_counted": True, "praise": {"kind": PERSON if person_key else UNIT,
                                                               "unit_id": unit_id, "person_key": person_key}})
            day += timedelta(days=1)
        return out

    def _fold_latest(self, writes: list[FeedbackWrite]) -> None:
        """One keyed read and one keyed write per district with new comments in the batch."""
        for district, entries in comment_entries(writes).items():
            kept = (self.latest.find_one({"_id": district}) or {}).get("items") or []
            self.latest.update_one({"_id": district}, {"$set": {"items": folded(kept, entries)}}, upsert=True)

    def newest_comments(self, district: str) -> list[dict]:
        """The district's newest comments (at most feedback_latest.LATEST): `{v, s, t, at}`, newest first."""
        if self.latest is None:
            return []
        return (self.latest.find_one({"_id": district}) or {}).get("items") or []

    def set_topics(self, vote_id: str, topics: dict[str, str], tagger_version: str) -> bool:
        """The topic tagger's two fields on one document (the ballots processor never writes them)."""
        result = self.docs.update_one({"_id": vote_id}, {"$set": {"topics": topics, "tagger_version": tagger_version}})
        return result.matched_count == 1

    # ------------------------------------------------------------------ reads
    def get(self, vote_id: str) -> dict | None:
        doc = self.docs.find_one({"_id": vote_id})
        return complete(doc) if doc else None

    def district_day(self, district: str, day: date) -> list[dict]:
        """One district's documents of one Bangkok day, newest first."""
        found = self.docs.find({"dday": district_day(district, day.isoformat())})
        return sorted((complete(d) for d in found), key=lambda d: d["at"], reverse=True)

    def district_days(self, district: str, last: date, first: date) -> Iterator[dict]:
        """A district's documents from `last` back to `first` (inclusive), newest day first, newest first
        within a day; a reader that stops early reads no further days."""
        day = last
        while day >= first:
            yield from self.district_day(district, day)
            day -= timedelta(days=1)

    def newest(self, district: str, today: date, limit: int, days: int = 31,
               keep: Callable[[dict], bool] = lambda _doc: True) -> list[dict]:
        """The `limit` newest documents of a district that `keep` accepts, over at most `days` days back.

        Reads day by day from today, so its cost follows the days it needs to fill `limit`, not how many
        documents the district has in all."""
        out: list[dict] = []
        for doc in self.district_days(district, today, today - timedelta(days=days - 1)):
            if keep(doc):
                out.append(doc)
                if len(out) >= limit:
                    break
        return out

    def across_districts(self, first: date, last: date) -> Iterator[dict]:
        """Every district's documents from `first` to `last` (inclusive), one indexed day at a time, oldest
        day first (the centre's time ranges)."""
        day = first
        while day <= last:
            yield from (complete(d) for d in self.docs.find({"day": day.isoformat()}))
            day += timedelta(days=1)

"""Notify's document-store adapter. Every hot write is keyed by `_id` (FerretDB v1 pushes down only
`_id` filters); claims are plain inserts (FerretDB does not report unique clashes inside upserts).

Collections:
- `notify_votes`   `{_id: "<district>:<day>", d, day, v: {<vote key>: [score, received_epoch, service, channel]},
  c: {<vote key>: {s, t, at}}}`: the votes scoring counted (ballots.v1) as a set, so a redelivered one is a
  no-op `$set`; service and channel let a later comment's feedback document (feedback.py) carry its vote's.
  Entries written before them have two items.
- `notify_feedback` the feedback view (feedback.py, feedback_store.py).
- `notify_alerts`  `{_id: "<district>-<rule>-<seq>", …Alert}`; the processor `$set`s its fields (firing,
  figures, notified.*), people `$set` theirs (status, notes): neither overwrites the other.
- `notify_silences` `{_id, district, rule, until, note, created_by, created_at}`.
- `notify_log`     `{_id: "<alert>|<event>|<receiver>", message, at}`: the notification log; one per
  (alert, event, receiver), taken by plain insert before anything is sent.
- `notify_outbox`  `{_id: message id, receiver, contact, transport, state, content, attempts, next_at, …}`.
- `notify_directory` `{_id: "chief:3706" | "deputy:3706:d1" | "governor:37", …Contact}`, indexed by `code`.
- `notify_digests` `{_id: "<week>|<receiver>", message}`: the digest's claim.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, fields
from datetime import date, datetime, timedelta

from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.notify.directory import Contact
from services.notify.lifecycle import Alert, Silence
from services.notify.rules import CountedVote, VoteBook
from shared.mongo import DUPLICATE_KEY

_SAFE_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ALERT_FIELDS = {f.name for f in fields(Alert)}
# The fields the processor owns; status and notes belong to people (web) and are never $set here.
PROCESSOR_FIELDS = ("firing", "episode", "fired_at", "figures", "recovered_at", "escalated_at")


def vote_key(vote_id: str) -> str:
    """A vote id usable as a field name ('.' and '$' are not)."""
    return vote_id if _SAFE_KEY.match(vote_id) else hashlib.sha256(vote_id.encode()).hexdigest()[:32]


def alert_document(alert: Alert) -> dict:
    return {"_id": alert.id, **asdict(alert)}


def alert_from(doc: dict) -> Alert:
    return Alert(**{k: v for k, v in doc.items() if k in _ALERT_FIELDS})


class NotifyStore:
    def __init__(self, db: Database):
        self.db = db
        self.votes = db.notify_votes
        self.alerts = db.notify_alerts
        self.silences = db.notify_silences
        self.log = db.notify_log
        self.outbox = db.notify_outbox
        self.directory = db.notify_directory
        self.digests = db.notify_digests

    def ensure_indexes(self) -> None:
        """Single-field indexes for the equality filters of reads (the dispatcher's due query, the
        centre's status filter): locally each gets a GIN twin so FerretDB/PostgreSQL finds rows by
        index (docs/store.md); MongoDB uses them directly."""
        self.votes.create_index("day")
        self.alerts.create_index("status")
        self.alerts.create_index("district")
        self.outbox.create_index("state")
        self.directory.create_index("code")

    # ------------------------------------------------------------------ votes
    def add_votes(self, district: str, day: date, votes: dict[str, CountedVote],
                  comments: dict[str, dict] | None = None,
                  facts: dict[str, tuple[str | None, str | None]] | None = None) -> None:
        """Idempotent: the same vote set twice is the same document. Comments (redacted by ingest;
        `{s: score, t: text, at: epoch}`, a later comment included) are kept beside their vote; `facts`
        (vote id -> (service, channel)) beside its score, for a later comment's feedback document."""
        day_text = day.isoformat()
        facts = facts or {}
        sets: dict = {f"v.{vote_key(vid)}": [v.score, v.received_at, *facts.get(vid, (None, None))]
                      for vid, v in votes.items()}
        for vid, comment in (comments or {}).items():
            sets[f"c.{vote_key(vid)}"] = comment
        self.votes.update_one({"_id": f"{district}:{day_text}"},
                              {"$set": sets, "$setOnInsert": {"d": district, "day": day_text}}, upsert=True)

    def load_book(self, district: str, days: list[date]) -> VoteBook:
        book = VoteBook(district)
        for day in days:
            doc = self.votes.find_one({"_id": f"{district}:{day.isoformat()}"})
            for key, entry in (doc or {}).get("v", {}).items():
                book.add(day, key, CountedVote(int(entry[0]), float(entry[1])))
        return book

    def day_documents(self, district: str, days: list[date], fields: tuple[str, ...] = ()) -> dict[date, dict]:
        """The day documents; only `fields` of each when given (the trend needs no comments)."""
        out = {}
        projection = {name: 1 for name in fields} or None
        for day in days:
            doc = self.votes.find_one({"_id": f"{district}:{day.isoformat()}"}, projection)
            if doc:
                out[day] = doc
        return out

    def vote_facts(self, district: str, day: date, vote_id: str) -> tuple[str | None, str | None, float | None]:
        """A counted vote's (service, channel, received epoch), read by `_id` with only its entry projected:
        what a later comment's feedback document needs of its vote. (None, None, None) if unknown."""
        key = vote_key(vote_id)
        doc = self.votes.find_one({"_id": f"{district}:{day.isoformat()}"}, {f"v.{key}": 1})
        entry = ((doc or {}).get("v") or {}).get(key) or []
        padded = [*entry, None, None, None, None]
        return padded[2], padded[3], (float(padded[1]) if padded[1] is not None else None)

    def expire_votes(self, before: date, lookback_days: int = 14) -> int:
        """Day documents older than `before`, one day at a time by equality on the indexed `day`
        (pushed down by FerretDB, a GIN twin serves it; a `$lt` range would read the collection whole:
        docs/store.md). Days further back than `lookback_days` were expired by earlier runs."""
        deleted = 0
        for back in range(1, lookback_days + 1):
            day = (before - timedelta(days=back)).isoformat()
            deleted += self.votes.delete_many({"day": day}).deleted_count
        return deleted

    # ------------------------------------------------------------------ alerts
    def latest_alerts(self) -> dict[tuple[str, str], Alert]:
        """The newest alert per (district, rule): read once at start and after a rebalance."""
        latest: dict[tuple[str, str], Alert] = {}
        for doc in self.alerts.find({}):
            alert = alert_from(doc)
            key = (alert.district, alert.rule)
            if key not in latest or alert.seq > latest[key].seq:
                latest[key] = alert
        return latest

    def alert(self, alert_id: str) -> Alert | None:
        doc = self.alerts.find_one({"_id": alert_id})
        return alert_from(doc) if doc else None

    def create_alert(self, alert: Alert) -> Alert:
        """Plain insert; if an earlier attempt (or another consumer) created it, theirs is the alert."""
        try:
            self.alerts.insert_one(alert_document(alert))
            return alert
        except DuplicateKeyError:
            existing = self.alert(alert.id)
            return existing or alert

    def save_observation(self, alert: Alert) -> None:
        self.alerts.update_one({"_id": alert.id}, {"$set": {k: getattr(alert, k) for k in PROCESSOR_FIELDS}})

    def mark_notified(self, alert_id: str, event: str, at: datetime) -> None:
        update: dict = {f"notified.{event}": at}
        if event == "escalation":
            update["escalated_at"] = at
        self.alerts.update_one({"_id": alert_id}, {"$set": update})

    def set_status(self, alert: Alert, expected_status: str) -> bool:
        """A person's transition, applied only if nobody changed the status meanwhile."""
        people = ("status", "acknowledged_at", "acknowledge_note", "acknowledged_by", "resolved_at", "resolve_note",
                  "resolved_by")
        result = self.alerts.update_one({"_id": alert.id, "status": expected_status},
                                        {"$set": {k: getattr(alert, k) for k in people}})
        return result.modified_count == 1

    def list_alerts(self, *, status: str | None = None, district: str | None = None,
                    province_districts: set[str] | None = None, limit: int = 500) -> list[Alert]:
        query: dict = {}
        if status:
            query["status"] = status
        if district:
            query["district"] = district
        alerts = [alert_from(d) for d in self.alerts.find(query).sort("opened_at", -1).limit(limit)]
        if province_districts is not None:
            alerts = [a for a in alerts if a.district in province_districts]
        return alerts

    # ------------------------------------------------------------------ silences
    def add_silence(self, silence: Silence) -> None:
        self.silences.insert_one({"_id": silence.id, **asdict(silence)})

    def active_silences(self, now: datetime) -> list[Silence]:
        return [Silence(**{k: v for k, v in d.items() if k != "_id"})
                for d in self.silences.find({"until": {"$gt": now}})]

    # ------------------------------------------------------------------ the notification log
    def claim(self, keys: list[str], message_id: str, now: datetime) -> set[str]:
        """Take each (alert, event, receiver) key for this message; returns the keys we now hold."""
        if not keys:
            return set()
        docs = [{"_id": k, "message": message_id, "at": now} for k in keys]
        clashed: set[str] = set()
        try:
            self.log.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            for error in exc.details.get("writeErrors", []):
                if error.get("code") != DUPLICATE_KEY:
                    raise
                clashed.add(keys[error["index"]])
        return set(keys) - clashed

    def claim_holder(self, key: str) -> str | None:
        doc = self.log.find_one({"_id": key})
        return doc["message"] if doc else None

    # ------------------------------------------------------------------ directory
    def contact(self, key: str) -> Contact | None:
        doc = self.directory.find_one({"_id": key})
        return Contact.from_document(doc) if doc else None

    def district_readers(self, district: str) -> list[Contact]:
        """The chief and the deputies the directory names for a district (an indexed equality on `code`;
        a province's governor has a 2-digit code, never a district's), the chief first."""
        found = [Contact.from_document(d) for d in self.directory.find({"code": district})]
        return sorted((c for c in found if c.reads_inbox_of(district)), key=lambda c: (c.role != "chief", c.key))

    def contacts(self) -> list[Contact]:
        return [Contact.from_document(d) for d in self.directory.find({}).sort("_id", 1)]

    def replace_directory(self, contacts: list[Contact]) -> dict[str, int]:
        """The file is the directory: new and changed rows written, rows no longer in it removed."""
        stored = {d["_id"]: d for d in self.directory.find({})}
        wanted = {c.key: c.to_document() for c in contacts}
        new = [doc for key, doc in wanted.items() if key not in stored]
        changed = [doc for key, doc in wanted.items() if key in stored and stored[key] != doc]
        gone = [key for key in stored if key not in wanted]
        if new:
            self.directory.insert_many(new, ordered=False)
        for doc in changed:
            self.directory.replace_one({"_id": doc["_id"]}, doc)
        for key in gone:
            self.directory.delete_one({"_id": key})
        return {"added": len(new), "changed": len(changed), "removed": len(gone), "total": len(wanted)}

"""The scoring state in the document store: votes by vote_id, day buckets with their applied offsets, standings.

Every write here is a single-document operation (atomic on FerretDB and MongoDB alike), so the
design needs no multi-document transactions; docs/scoring.md gives the exactly-once argument.
Every write and every read on the batch path is by `_id` (docs/store.md), so its cost does not
grow with the days of the campaign.
Bulk updates are avoided on purpose: FerretDB v1 runs each update of a bulk as its own
transaction (~3 ms each) and stalls on large unordered update bulks; inserts batch well.
A partition's standings document holds each district's standing as one JSON text, not as nested
fields: FerretDB v1 converts every value of a document it reads or rewrites (~12 µs each), and this
document, rewritten by every batch, held ~6,000 of them (~90 ms a write); as text it holds ~75.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.scoring.domain import Bucket, Increment, Standing, Tally, Vote
from shared.counting import FollowUp, follow_up_sets
from shared.flags import CounterState
from shared.mongo import DUPLICATE_KEY, insert_ignoring_clashes

VOTER_DAY_DUPLICATE = "voter_already_counted_today"


@dataclass
class Recorded:
    """Step 1's verdict: votes to count (new, or our own earlier attempt) and true duplicates."""

    to_count: list[Vote]
    duplicates: list[Vote]
    # What comments.v1 said before its vote arrived, now joined to it: vote_id -> comment and praise.
    early_comments: dict[str, FollowUp]
    # Duplicates by reason other than a repeated vote_id: vote_id -> reason (recorded on the vote).
    reasons: dict[str, str] = field(default_factory=dict)


class ScoringStore:
    """Collections `<prefix>_votes`, `<prefix>_buckets`, `<prefix>_standings` (the audit uses a fresh prefix)."""

    def __init__(self, db: Database, prefix: str = "scoring"):
        self.db = db
        self.prefix = prefix
        self.votes: Collection = db[f"{prefix}_votes"]
        self.buckets: Collection = db[f"{prefix}_buckets"]
        self.standings: Collection = db[f"{prefix}_standings"]
        self.voter_days: Collection = db[f"{prefix}_voter_days"]
        # The flag rules' state (services/scoring/flags.py): address and key counters, each voter's districts.
        self.flag_counters: Collection = db[f"{prefix}_flag_counters"]
        self.voter_districts: Collection = db[f"{prefix}_voter_districts"]

    def ensure_indexes(self) -> None:
        self.buckets.create_index("p")
        self.buckets.create_index("day")
        self.voter_districts.create_index("k")  # one voter's day: an equality read (docs/store.md)

    # ------------------------------------------------------------------ step 1: votes by vote_id

    def record_votes(self, votes: list[Vote]) -> Recorded:
        """Insert each vote under _id = vote_id with its log position; sort out the clashes; then keep
        one counted vote per voter per district per Bangkok day, whatever ingest let through."""
        recorded = self._record_vote_ids(votes)
        return self._one_per_voter_day(recorded)

    def _one_per_voter_day(self, recorded: Recorded) -> Recorded:
        """A plain keyed insert per voter-day (`_id` = voter, district, day; `v` = the vote holding it).

        Replay-exact: our own earlier attempt holds the day with the same vote_id, so it counts
        again; any other vote for a held day is a duplicate, and the reason is written on it.
        """
        keyed = [v for v in recorded.to_count if v.voter_day]
        if not keyed:
            return recorded
        docs = [{"_id": v.voter_day, "v": v.vote_id} for v in keyed]
        clashed: set[int] = set()
        try:
            self.voter_days.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            clashed = {e["index"] for e in errors}
        if not clashed:
            return recorded
        # One keyed read per clash (rare): `$in` would read the whole collection on FerretDB (docs/store.md).
        days = {keyed[i].voter_day for i in clashed}
        holders = {d["_id"]: d["v"] for d in (self.voter_days.find_one({"_id": day}) for day in days) if d}
        # Within one batch the first vote for a day inserted it; later ones clash with it.
        refused = {keyed[i].vote_id for i in clashed if holders.get(keyed[i].voter_day) != keyed[i].vote_id}
        for vote_id in refused:
            self.votes.update_one({"_id": vote_id}, {"$set": {"dup": VOTER_DAY_DUPLICATE}})
        return Recorded([v for v in recorded.to_count if v.vote_id not in refused],
                        recorded.duplicates + [v for v in recorded.to_count if v.vote_id in refused],
                        recorded.early_comments,
                        {**recorded.reasons, **dict.fromkeys(refused, VOTER_DAY_DUPLICATE)})

    def _record_vote_ids(self, votes: list[Vote]) -> Recorded:
        if not votes:
            return Recorded([], [], {})
        docs = [{"_id": v.vote_id, "p": v.partition, "o": v.offset, "d": v.district, "s": v.score,
                 "t": v.submitted_at, **({"c": v.comment, "ca": v.received_at} if v.comment else {}),
                 **_flag_fields(v)}  # the decision, once: a replay and a late comment's ballot repeat it
                for v in votes]
        clashed: set[int] = set()
        try:
            self.votes.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            other = [e for e in errors if e.get("code") != DUPLICATE_KEY]
            if other:
                raise
            clashed = {e["index"] for e in errors}
        if not clashed:
            return Recorded(list(votes), [], {})
        return self._sort_clashes(votes, clashed)

    def _sort_clashes(self, votes: list[Vote], clashed: set[int]) -> Recorded:
        # One keyed read per clash (rare: redeliveries): `$in` would read the whole votes collection on FerretDB.
        ids = {votes[i].vote_id for i in clashed}
        stored = {d["_id"]: d for d in (self.votes.find_one({"_id": i}) for i in ids) if d is not None}
        to_count, duplicates, early = [], [], {}
        for i, vote in enumerate(votes):
            if i not in clashed:
                to_count.append(vote)
                continue
            doc = stored.get(vote.vote_id, {})
            if "o" not in doc:  # a comment waited here for its vote: the vote takes the placeholder
                doc = self._claim_placeholder(vote) or self.votes.find_one({"_id": vote.vote_id}) or {}
                stored[vote.vote_id] = doc
            if (doc.get("p"), doc.get("o")) == (vote.partition, vote.offset):
                # Our own earlier attempt: the bucket's applied offset decides, and the flag decided then stands.
                vote = decided(vote, doc.get("fr") or (vote.flag_reason if doc.get("f") else None),
                               flagged=bool(doc.get("f")))
                to_count.append(vote)
                if doc.get("c") or doc.get("st"):
                    early[vote.vote_id] = FollowUp(doc.get("c") or "", (doc.get("ca") or vote.received_at)
                                                   if doc.get("c") else None, doc.get("st"))
            else:
                duplicates.append(vote)  # the same vote again at another log position
        return Recorded(to_count, duplicates, early)

    def _claim_placeholder(self, vote: Vote) -> dict | None:
        return self.votes.find_one_and_update(
            {"_id": vote.vote_id, "o": {"$exists": False}},
            {"$set": {"p": vote.partition, "o": vote.offset, "d": vote.district, "s": vote.score,
                      "t": vote.submitted_at, **_flag_fields(vote)}},
            return_document=True)

    def attach_comment(self, vote_id: str, district: str, text: str, at: datetime,
                       staff: str | None = None) -> dict | None:
        """Join a comments.v1 message to its vote; returns the vote, or None if the vote is not here yet.

        Only the message's non-empty parts are set (`counting.follow_up_sets`): a praise keeps the comment
        an earlier message left, a comment keeps the praise, here and in the placeholder an early one leaves."""
        sets = follow_up_sets(text, at, staff)
        for _ in range(3):
            if sets:
                doc = self.votes.find_one_and_update({"_id": vote_id}, {"$set": sets}, return_document=True)
            else:  # nothing to join (no such message is published): the vote as it is
                doc = self.votes.find_one({"_id": vote_id})
            if doc is not None:
                return doc if "o" in doc else None
            try:  # plain insert, not upsert: FerretDB reports a clash only for a plain insert
                self.votes.insert_one({"_id": vote_id, "d": district, **sets})
                return None
            except DuplicateKeyError:
                continue  # the vote (or another copy of the comment) arrived meanwhile
        raise RuntimeError(f"could not attach a comment to vote {vote_id}")

    # ------------------------------------------------------------------ the flag rules' state

    def load_flag_counter(self, counter: str) -> CounterState | None:
        doc = self.flag_counters.find_one({"_id": counter})
        return CounterState.from_text(doc["c"], doc["wm"]) if doc else None

    def save_flag_counter(self, counter: str, read_offset: int | None, state: CounterState) -> bool:
        """One conditional single-document write, as a bucket's: False when the counter moved since it was read
        (`read_offset` None: it did not exist)."""
        if read_offset is None:
            try:
                self.flag_counters.insert_one({"_id": counter, "wm": state.applied_offset, "c": state.to_text()})
                return True
            except DuplicateKeyError:
                return False
        result = self.flag_counters.update_one({"_id": counter, "wm": read_offset},
                                               {"$set": {"wm": state.applied_offset, "c": state.to_text()}})
        return result.matched_count == 1

    def hold_voter_districts(self, held: list[tuple[str, str, datetime]]) -> set[int]:
        """One insert for all (voter's day, district, received time): the first vote of a voter's district that
        day inserts it, later ones (and replays) clash and change nothing, so the time kept is the first.
        Returns the indexes that clashed (held already)."""
        docs = [{"_id": f"{key}:{district}", "k": key, "d": district, "r": at} for key, district, at in held]
        return insert_ignoring_clashes(self.voter_districts, docs)

    def voter_districts_of(self, key: str) -> dict[str, datetime]:
        """A voter's day: district -> the first time a vote for it was received (an equality read on `k`)."""
        return {d["d"]: _aware(d["r"]) for d in self.voter_districts.find({"k": key}, {"d": 1, "r": 1})}

    # ------------------------------------------------------------------ step 2: buckets and their applied offsets

    def load_buckets(self, query: dict) -> list[Bucket]:
        return [bucket_from_doc(d) for d in self.buckets.find(query)]

    def apply(self, inc: Increment) -> bool:
        """One conditional single-document write; False when the bucket moved since it was read.

        The write sets each touched district's new tally by value (the bucket as read plus the batch):
        the condition on the applied offset (`wm`) guarantees the stored tallies are the ones read, so
        setting is as exact as `$inc`, and a tally is one JSON text (docs/store.md, "Values cost").
        """
        bucket = inc.bucket
        tallies = {d: bucket.tallies.get(d, Tally()).plus(t) for d, t in inc.tallies.items()}
        if not bucket.exists:
            doc = {"_id": bucket.id, "p": bucket.partition, "day": bucket.day.isoformat(),
                   "wm": inc.applied_offset, "d": {d: t.to_text() for d, t in tallies.items()}}
            try:
                self.buckets.insert_one(doc)
                return True
            except DuplicateKeyError:
                return False
        update = {"$set": {"wm": inc.applied_offset, **{f"d.{d}": t.to_text() for d, t in tallies.items()}}}
        result = self.buckets.update_one({"_id": bucket.id, "wm": bucket.applied_offset}, update)
        return result.matched_count == 1

    # ------------------------------------------------------------------ step 3: standings

    def load_standings(self, partitions: Iterable[int]) -> dict[str, Standing]:
        """district -> stored standing, for the given partitions' documents."""
        out: dict[str, Standing] = {}
        for partition in partitions:  # keyed reads: `$in` is not pushed down by FerretDB (docs/store.md)
            doc = self.standings.find_one({"_id": standings_id(partition)})
            if doc:
                out.update(standings_in(doc))
        return out

    def save_standings(self, partition: int, standings: dict[str, Standing]) -> None:
        """One document per votes partition (one write instead of one per district: see module doc)."""
        if not standings:
            return
        self.standings.update_one(
            {"_id": standings_id(partition)},
            {"$set": {"p": partition, **{f"districts.{d}": standing_text(s) for d, s in standings.items()}}},
            upsert=True)

    def standing(self, district: str) -> Standing | None:
        doc = self.standings.find_one({f"districts.{district}": {"$exists": True}},
                                      {f"districts.{district}": 1})
        return standing_from(doc["districts"][district]) if doc else None

    def all_standings(self) -> dict[str, Standing]:
        out: dict[str, Standing] = {}
        for doc in self.standings.find({}):
            out.update(standings_in(doc))
        return out

    def drop(self) -> None:
        for collection in (self.votes, self.buckets, self.standings, self.voter_days, self.flag_counters,
                           self.voter_districts):
            collection.drop()


def decided(vote: Vote, reason: str | None, *, flagged: bool | None = None) -> Vote:
    """The vote with its flag decision, in its fields too (its ballot carries `flag_reason`)."""
    flagged = reason is not None if flagged is None else flagged
    wire = {**vote.wire, "flagged": flagged, "flag_reason": reason if flagged else None} if vote.wire else None
    return replace(vote, flagged=flagged, flag_reason=reason if flagged else None, wire=wire)


def _flag_fields(vote: Vote) -> dict:
    return {"f": True, **({"fr": vote.flag_reason} if vote.flag_reason else {})} if vote.flagged else {}


def _aware(at: datetime) -> datetime:
    """The store gives datetimes back naive (UTC) unless the client was made tz-aware."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def standings_in(doc: dict) -> dict[str, Standing]:
    """The standings a partition's document holds (its districts are JSON texts)."""
    return {d: standing_from(s) for d, s in doc.get("districts", {}).items()}


def standing_text(standing: Standing) -> str:
    return json.dumps(standing.to_document(), ensure_ascii=False, separators=(",", ":"))


def standing_from(stored: str | dict) -> Standing:
    """From its JSON text, or from the nested form documents written before this layout still hold."""
    return Standing.from_document(json.loads(stored) if isinstance(stored, str) else stored)


def standings_id(partition: int) -> str:
    return f"p{partition}"


def bucket_from_doc(doc: dict) -> Bucket:
    return Bucket(doc["p"], date.fromisoformat(doc["day"]), doc["wm"],
                  {d: Tally.from_stored(f) for d, f in doc.get("d", {}).items()}, exists=True)

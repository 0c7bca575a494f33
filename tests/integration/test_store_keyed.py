"""Every hot store operation is keyed: on FerretDB/PostgreSQL no statement it causes reads a table whole.

Each operation of the services' store adapters runs against collections of thousands of documents;
pg_stat_statements then shows every SQL statement FerretDB ran for it, with the blocks it touched.
A statement that scanned touches about as many blocks per row as the table has pages (the
`$in`, `$lt` and `update_many` shapes this project used before did); a keyed one a handful.
Not timed: it counts what the store did. docs/store.md has the rule and the manual check.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from services.ingest.line.conversation import Conversation
from services.ingest.line.state import MongoConversationStore
from services.notify.store import NotifyStore
from services.scoring.domain import Bucket, Increment, Standing, Tally, Vote, bucket_id
from services.scoring.store import ScoringStore
from shared import mongo
from shared.claims import FAILED, PUBLISHED, MongoClaimStore, MongoRateLimiter, NewClaim, mark_id
from shared.expiry import DUE, due_label
from shared.flags import CounterState
from tests.support.store_probe import SqlProbe

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
ROWS = 6000  # enough pages that a scan cannot hide among index reads
MIN_PAGES = 40


@pytest.fixture
def db(settings):
    return mongo.database(settings)


@pytest.fixture
def probe(infra, settings) -> SqlProbe:
    if infra.pg_url is None:
        pytest.skip("looks at FerretDB's SQL: runs with the local FerretDB/PostgreSQL servers")
    return SqlProbe(infra.pg_url, settings.mongo_db)


def assert_keyed(probe: SqlProbe, operation: Callable[[], object]) -> None:
    sizes = probe.sizes()  # before: an operation may empty or create a table
    probe.reset()
    operation()
    statements = probe.statements()
    assert statements, "the operation ran no SQL on these tables: the probe would prove nothing"
    for st in statements:
        rows, pages = sizes[st.table]
        assert pages >= MIN_PAGES, f"{st.table} has only {pages} pages: fill it more for the check to mean anything"
        assert st.rows_per_call < rows / 4, (
            f"{st.query!r} returned {st.rows} rows in {st.calls} calls from {st.table} of {rows} rows: "
            "a filter FerretDB did not push down, so it read the table whole")
        assert st.blocks_per_row < pages / 4, (
            f"{st.query!r} touched {st.blocks} blocks for {st.rows} rows in {st.calls} calls; "
            f"{st.table} has {pages} pages: it read the table whole")


def fill(collection, docs: list[dict]) -> None:
    for start in range(0, len(docs), 1000):
        collection.insert_many(docs[start:start + 1000], ordered=False)


def test_the_check_fails_on_the_shapes_that_scan(db, probe):
    """The shapes this project used before: `$in`, `$lt` ranges and `update_many` read the table whole."""
    fill(db.scan, [{"_id": f"k{i}", "state": "pending", "expires_at": NOW + timedelta(seconds=i)} for i in range(ROWS)])
    scans = [lambda: db.scan.update_many({"_id": {"$in": ["k1", "k2"]}}, {"$set": {"state": "published"}}),
             lambda: db.scan.delete_many({"expires_at": {"$lt": NOW + timedelta(seconds=3)}}),
             lambda: list(db.scan.find({"_id": {"$in": ["k5", "k6"]}}))]
    for scan in scans:
        with pytest.raises(AssertionError, match="read the table whole"):  # each of them, alone
            assert_keyed(probe, scan)
    assert_keyed(probe, lambda: db.scan.update_one({"_id": "k9"}, {"$set": {"state": "published"}}))


# ---------------------------------------------------------------- ingest claims


@pytest.fixture
def claims(db) -> MongoClaimStore:
    store = MongoClaimStore(db.claims)
    store.ensure_indexes()
    later = NOW + timedelta(days=1)
    fill(db.claims, [{"_id": f"old-{i}", "vote_id": f"v{i}", "version": 1, "fingerprint": "f" * 64,
                      "created_at": NOW, "updated_at": NOW, "expires_at": later, DUE: due_label(later)}
                     for i in range(ROWS)])
    fill(store.marks, [{"_id": mark_id(f"old-{i}", 1), "state": PUBLISHED, "at": NOW, DUE: due_label(later)}
                       for i in range(ROWS)])
    return store


def test_claiming_new_and_held_claims_is_keyed(claims, probe):
    later = NOW + timedelta(days=1)
    assert_keyed(probe, lambda: claims.claim([NewClaim(f"new-{i}", f"n{i}", later) for i in range(20)], NOW))
    held = []
    assert_keyed(probe, lambda: held.extend(claims.claim([NewClaim("old-7", "x", later)], NOW)))
    assert held[0].state == PUBLISHED and held[0].vote_id == "v7"


def test_marking_taking_over_and_releasing_are_keyed(claims, probe):
    later = NOW + timedelta(days=1)
    ids = [f"mine-{i}" for i in range(20)]
    claims.claim([NewClaim(i, "v", later) for i in ids], NOW)
    assert_keyed(probe, lambda: claims.mark(ids[:10], PUBLISHED, NOW))
    assert_keyed(probe, lambda: claims.mark(ids[10:15], FAILED, NOW))
    [held] = claims.claim([NewClaim("mine-10", "v2", later)], NOW)
    assert_keyed(probe, lambda: claims.take_over(held, "v2", NOW))
    assert_keyed(probe, lambda: claims.release(ids[15:]))


def test_expiring_claims_is_keyed(claims, db, probe):
    due_now = NOW - timedelta(minutes=5)
    claims.claim([NewClaim(f"due-{i}", "v", due_now) for i in range(30)], NOW)
    claims.mark([f"due-{i}" for i in range(30)], PUBLISHED, NOW)
    expired = []
    assert_keyed(probe, lambda: expired.append(claims.expire(NOW)))
    assert expired == [30]
    assert db.claims.count_documents({}) == ROWS


# ---------------------------------------------------------------- rate limiter, LINE conversations


def test_rate_limiter_hits_and_expiry_are_keyed(db, probe):
    limiter = MongoRateLimiter(db.rate, limit_per_minute=5)
    limiter.ensure_indexes()
    window = int(NOW.timestamp() // 60)
    fill(db.rate, [{"_id": f"ip-{i}:{window}", "count": 1, DUE: due_label(NOW + timedelta(hours=2))}
                   for i in range(ROWS)])
    assert_keyed(probe, lambda: limiter.hit("ip-7", 1, NOW))  # an existing window
    assert_keyed(probe, lambda: limiter.hit("ip-new", 1, NOW))  # a new one (upsert)
    assert_keyed(probe, lambda: limiter.expire(NOW + timedelta(hours=1)))


def test_line_conversation_state_is_keyed(db, probe):
    store = MongoConversationStore(db.conversations)
    store.ensure_indexes()
    until = NOW + timedelta(minutes=30)
    later = NOW + timedelta(days=5)
    fill(db.conversations, [{"_id": f"user-{i}", "vote_id": f"v{i}", "district_code": "3706", "voted_at": NOW,
                             "comment_until": until, "comment_id": None, "comment_published": False,
                             "expires_at": later, DUE: due_label(later)} for i in range(ROWS)])
    conversation = Conversation(vote_id="vx", district_code="4408", voted_at=NOW, comment_until=until)
    assert_keyed(probe, lambda: store.save("user-x", conversation))
    assert_keyed(probe, lambda: store.get("user-7"))
    assert_keyed(probe, lambda: store.reserve_comment("user-7", "v7", "c1"))
    assert_keyed(probe, lambda: store.set_comment_published("user-7", "c1", "ดีมาก"))
    assert_keyed(probe, lambda: store.reserve_comment("user-7", "v7", "c2"))  # a further text: the second update
    expired = []
    assert_keyed(probe, lambda: expired.append(store.expire(NOW + timedelta(days=1, hours=1))))
    assert expired == [1] and store.get("user-x") is None and store.get("user-8") is not None


def test_scoring_flag_state_is_keyed(db, probe):
    """The flag rules' state (services/scoring/flags.py): counters by `_id`, a voter's day by an equality on `k`."""
    store = ScoringStore(db)
    store.ensure_indexes()
    fill(store.flag_counters, [{"_id": f"address:a{i}:3706:2026-11-22", "wm": i, "c": "[1,{}]"} for i in range(ROWS)])
    fill(store.voter_districts, [{"_id": f"v{i // 3}:2026-11-22:{3700 + i % 3}", "k": f"v{i // 3}:2026-11-22",
                                  "d": f"{3700 + i % 3}", "r": NOW} for i in range(ROWS)])
    loaded = []
    assert_keyed(probe, lambda: loaded.append(store.load_flag_counter("address:a7:3706:2026-11-22")))
    assert loaded[0] is not None and loaded[0].applied_offset == 7
    assert_keyed(probe, lambda: store.save_flag_counter("address:a7:3706:2026-11-22", 7, CounterState(9, 2)))
    assert_keyed(probe, lambda: store.save_flag_counter("address:new:3706:2026-11-22", None, CounterState(1, 1)))
    assert_keyed(probe, lambda: store.hold_voter_districts([("v7:2026-11-22", "4408", NOW)]))
    days = []
    assert_keyed(probe, lambda: days.append(store.voter_districts_of("v7:2026-11-22")))
    assert set(days[0]) == {"3700", "3701", "3702", "4408"}


# ---------------------------------------------------------------- scoring


@pytest.fixture
def scoring(db) -> ScoringStore:
    """Buckets of 56 days x 12 partitions with 70 districts each, and a votes collection that has lived."""
    store = ScoringStore(db)
    store.ensure_indexes()
    tally = Tally()
    tally.add(4, NOW)
    fields = tally.to_fields()
    first = date(2026, 9, 27)
    fill(store.buckets, [{"_id": bucket_id(p, first + timedelta(days=d)), "p": p,
                          "day": (first + timedelta(days=d)).isoformat(), "wm": 10,
                          "d": {f"{3700 + k}": fields for k in range(70)}}
                         for d in range(56) for p in range(12)])
    fill(store.votes, [{"_id": f"vote-{i}", "p": i % 12, "o": i, "d": "3706", "s": 4, "t": NOW}
                       for i in range(ROWS)])
    store.save_standings(0, {"3706": Standing("3706", "2026-11-22", {}, [], 0)})
    # One standings document per partition is few pages: others beside it, so that a scan would show.
    fill(store.standings, [{"_id": f"other-{i}", "p": -1, "districts": {}} for i in range(ROWS)])
    return store


def test_scoring_batch_writes_are_keyed(scoring, probe):
    votes = [Vote(f"new-{i}", "3706", 5, NOW, NOW, 0, 100 + i) for i in range(10)]
    assert_keyed(probe, lambda: scoring.record_votes(votes))
    redelivered = [Vote("vote-5", "3706", 4, NOW, NOW, 5, 5), Vote("vote-6", "3706", 4, NOW, NOW, 1, 999)]
    recorded = []
    assert_keyed(probe, lambda: recorded.append(scoring.record_votes(redelivered)))
    assert [v.vote_id for v in recorded[0].to_count] == ["vote-5"]  # its own earlier attempt
    assert [v.vote_id for v in recorded[0].duplicates] == ["vote-6"]  # the same vote at another position

    day = date(2026, 11, 20)
    [stored] = scoring.load_buckets({"_id": bucket_id(0, day)})
    tally = Tally()
    tally.add(5, NOW)
    increment = Increment(stored, {"3706": tally}, 20, votes)
    applied = []
    assert_keyed(probe, lambda: applied.append(scoring.apply(increment)))
    assert applied == [True]
    assert_keyed(probe, lambda: scoring.load_buckets({"_id": bucket_id(0, day)}))
    fresh = Increment(Bucket(0, date(2026, 11, 22)), {"3706": tally}, 5, votes)
    assert_keyed(probe, lambda: scoring.apply(fresh))
    standing = Standing("3706", "2026-11-22", {"campaign": {}}, [], 0)
    assert_keyed(probe, lambda: scoring.save_standings(0, {"3706": standing}))
    assert_keyed(probe, lambda: scoring.attach_comment("vote-9", "3706", "ดีมาก", NOW))
    assert_keyed(probe, lambda: scoring.load_standings([0, 1]))


def test_scoring_loads_a_partitions_buckets_by_equality(scoring, probe):
    loaded = []
    assert_keyed(probe, lambda: loaded.append(scoring.load_buckets({"p": 3})))
    assert len(loaded[0]) == 56 and {b.partition for b in loaded[0]} == {3}


def test_scoring_voter_day_rule_is_keyed(scoring, probe):
    fill(scoring.voter_days, [{"_id": f"voter-{i}:3706:2026-11-22", "v": f"vote-{i}"} for i in range(ROWS)])
    first = Vote("vd-1", "3706", 5, NOW, NOW, 0, 500, voter_key="voter-new")
    again = Vote("vd-2", "3706", 1, NOW, NOW, 0, 501, voter_key="voter-new")
    recorded = []
    assert_keyed(probe, lambda: recorded.append(scoring.record_votes([first])))
    assert [v.vote_id for v in recorded[0].to_count] == ["vd-1"]
    assert_keyed(probe, lambda: recorded.append(scoring.record_votes([again])))
    assert [v.vote_id for v in recorded[1].duplicates] == ["vd-2"]  # the voter's day is held by vd-1


# ---------------------------------------------------------------- notify


def test_notify_expires_its_vote_days_by_equality(db, probe):
    store = NotifyStore(db)
    store.ensure_indexes()
    first = date(2026, 9, 1)
    fill(store.votes, [{"_id": f"{3000 + i % 100}:{(first + timedelta(days=i // 100)).isoformat()}",
                        "day": (first + timedelta(days=i // 100)).isoformat(), "v": {}} for i in range(ROWS)])
    deleted = []
    assert_keyed(probe, lambda: deleted.append(store.expire_votes(date(2026, 10, 1))))
    assert deleted == [1400]  # the 14 days before 1 October, 100 districts each
    assert store.votes.count_documents({"day": "2026-09-30"}) == 0
    assert store.votes.count_documents({"day": "2026-10-01"}) == 100


def test_standings_are_stored_as_one_text_per_district_and_older_documents_still_read(db):
    """A partition's standings document is rewritten by every batch: FerretDB converts each value of it."""
    store = ScoringStore(db)
    window = {"from": "2026-11-16", "to": "2026-11-22", "votes": 3, "sum": 12, "mean": 4.0,
              "histogram": {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}, "last_vote_at": "2026-11-22T03:00:00.000Z"}
    comments = [{"vote_id": "v1", "score": 5, "comment": "บริการดี [โทร]", "at": "2026-11-22T03:00:00.000Z"}]
    saved = Standing("3706", "2026-11-22", {"campaign": window, "last_7_days": window}, comments, 4, 17)
    store.save_standings(4, {"3706": saved})
    raw = db[store.standings.name].find_one({"_id": "p4"})
    assert isinstance(raw["districts"]["3706"], str), "each district is one value, not ~80 nested ones"
    assert store.load_standings([4]) == {"3706": saved} and store.standing("3706") == saved
    # A document written in the nested form before this layout is read the same way.
    db[store.standings.name].update_one({"_id": "p4"}, {"$set": {"districts.4001": saved.to_document()
                                                                 | {"district_code": "4001"}}})
    loaded = store.load_standings([4])
    assert loaded["4001"].windows == saved.windows and loaded["4001"].district_code == "4001"


def test_notify_finds_a_district_s_chief_and_deputies_by_an_indexed_equality(db, probe):
    """Sign-in, alerts and the digest ask for a district's readers; each inbox request for one person by key.
    Asked of a district whose chief has no deputy: one row found, so a scan would show (blocks per row)."""
    from services.notify.directory import Contact

    store = NotifyStore(db)
    store.ensure_indexes()
    districts = range(ROWS // 4)
    people = [Contact("chief", str(1000 + d), f"chief {d}", "t", None, f"c{d}@dopa.example", None, None, ("email",),
                      True) for d in districts]
    people += [Contact("deputy", str(1000 + d), f"deputy {d}.{p}", "t", None, f"d{d}.{p}@dopa.example", None, None,
                       ("email",), True, f"d{p}") for d in districts if d % 2 == 0 for p in range(5)]
    fill(store.directory, [c.to_document() for c in people])
    found = []
    assert_keyed(probe, lambda: found.append(store.district_readers("1043")))
    assert [c.key for c in found[0]] == ["chief:1043"]
    assert_keyed(probe, lambda: found.append(store.contact("deputy:1042:d3")))
    assert found[1].email == "d42.3@dopa.example"
    assert [c.key for c in store.district_readers("1042")] == ["chief:1042", *(f"deputy:1042:d{p}" for p in range(5))]


# ---------------------------------------------------------------- stories (issue 21)


def test_the_story_register_drops_by_key(db, probe):
    from services.ingest.stories.register import MongoStoryRegister

    register = MongoStoryRegister(db.stories_register)
    fill(db.stories_register, [{"_id": f"{i:032x}", "district_code": "3706"} for i in range(ROWS)]
         + [{"_id": f"vote:{i}", "story": f"{i:032x}"} for i in range(ROWS)])
    assert_keyed(probe, lambda: register.drop(f"{7:032x}", "7"))
    assert register.district_of(f"{7:032x}") is None and db.stories_register.find_one({"_id": "vote:7"}) is None
    assert register.district_of(f"{8:032x}") == "3706"


def test_the_centres_story_decisions_and_its_queue_by_province_are_keyed(db, probe):
    from services.notify.stories.store import StoryStore
    from shared.events import StoryDecisionEvent

    store = StoryStore(db)
    store.ensure_indexes()
    fill(store.stories, [{"_id": f"{i:032x}", "district_code": str(3000 + i % 200), "status": "new", "text": "ดีมาก",
                          "edited": None, "publish": True, "credit_name": None, "told_at": NOW + timedelta(seconds=i),
                          "consent_version": "v1", "channel": "qr", "shortlist": [], "public": False}
                         for i in range(ROWS)])
    fill(store.audit, [{"_id": f"{i:032x}:told", "story_id": f"{i:032x}", "district_code": "3706", "action": "told",
                        "by": "citizen", "at": NOW} for i in range(ROWS)])
    story_id = f"{7:032x}"
    for n, (action, extra) in enumerate([("edit", {"text": "แก้"}), ("approve", {}), ("reject", {"reason": "x"}),
                                         ("shortlist", {"shortlist": "film"})]):
        decision = StoryDecisionEvent(f"{n:032x}", story_id, "3007", action, "ผู้ตรวจ", NOW, **extra)
        assert_keyed(probe, lambda d=decision: store.apply(d))
    assert_keyed(probe, lambda: store.set_public(story_id, False))
    found = []
    assert_keyed(probe, lambda: found.extend(store.list(districts={"3007", "3107"}, status="rejected")))
    assert [s.story_id for s in found] == [story_id] and found[0].shortlist == ("film",)
    chief = []
    assert_keyed(probe, lambda: chief.extend(store.for_district("3007")))  # the chief's inbox
    assert len(chief) == ROWS // 200

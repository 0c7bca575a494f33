"""The claim store and rate limiter on the real document server (FerretDB locally, MongoDB in prod)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from shared import mongo
from shared.claims import FAILED, PENDING, PUBLISHED, MongoClaimStore, MongoRateLimiter, NewClaim, ticket_id

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


@pytest.fixture
def db(settings):
    return mongo.database(settings)


def test_first_claim_wins_and_later_ones_see_the_holder(db):
    store = MongoClaimStore(db.claims)
    store.ensure_indexes()
    first = store.claim([NewClaim("a", "v1", NOW + timedelta(days=1), "fp"), NewClaim("b", "v2", NOW)], NOW)
    assert first == [None, None]
    again = store.claim([NewClaim("c", "v3", NOW), NewClaim("a", "v9", NOW, "fp2")], NOW)
    assert again[0] is None
    held = again[1]
    assert (held.id, held.vote_id, held.state, held.fingerprint) == ("a", "v1", PENDING, "fp")


def test_take_over_is_a_compare_and_set(db):
    store = MongoClaimStore(db.claims)
    store.claim([NewClaim("k", "v1", NOW + timedelta(days=1))], NOW)
    store.mark(["k"], FAILED, NOW)
    [held] = store.claim([NewClaim("k", "v2", NOW)], NOW)
    assert held.state == FAILED and held.is_stale(NOW, timedelta(seconds=30))
    assert store.take_over(held, "v2", NOW) is True
    assert store.take_over(held, "v3", NOW) is False  # the same stale view cannot win twice
    [now_held] = store.claim([NewClaim("k", "v4", NOW)], NOW)
    assert (now_held.vote_id, now_held.state, now_held.version) == ("v2", PENDING, held.version + 1)
    store.mark(["k"], PUBLISHED, NOW)
    assert store.claim([NewClaim("k", "v5", NOW)], NOW)[0].state == PUBLISHED


def _take_over(store: MongoClaimStore, held, vote_id: str, start: threading.Barrier, wins: list[str]) -> None:
    start.wait()
    if store.take_over(held, vote_id, NOW):
        wins.append(vote_id)


def test_concurrent_take_overs_have_one_winner(db):
    """Six stores (six ingest processes) take over one stale claim at once, twenty times: one wins each time.
    With a conditional update as the guard, FerretDB let several win in most rounds."""
    stores = [MongoClaimStore(db.claims) for _ in range(6)]
    for round_ in range(20):
        key = f"race-{round_}"
        stores[0].claim([NewClaim(key, "v1", NOW + timedelta(days=1))], NOW)
        stores[0].mark([key], FAILED, NOW)
        [held] = stores[1].claim([NewClaim(key, "v2", NOW)], NOW)
        start, wins = threading.Barrier(len(stores)), []

        threads = [threading.Thread(target=_take_over, args=(s, held, f"w{i}", start, wins))
                   for i, s in enumerate(stores)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(wins) == 1, (round_, wins)
        [now_held] = stores[2].claim([NewClaim(key, "v9", NOW)], NOW)
        assert (now_held.vote_id, now_held.version) == (wins[0], held.version + 1)


def test_a_take_over_whose_winner_died_before_moving_the_claim_is_won_again_later(db):
    store = MongoClaimStore(db.claims)
    store.claim([NewClaim("d", "v1", NOW + timedelta(days=1))], NOW)
    store.mark(["d"], FAILED, NOW)
    [held] = store.claim([NewClaim("d", "v2", NOW)], NOW)
    # The winner inserted its ticket and died before it moved the claim.
    db.claims_marks.insert_one({"_id": ticket_id("d", held.version + 1), "at": NOW})
    assert store.take_over(held, "v3", NOW + timedelta(seconds=5)) is False  # maybe still moving it
    later = NOW + MongoClaimStore.TICKET_STALE + timedelta(seconds=1)
    assert store.take_over(held, "v3", later) is True
    [now_held] = store.claim([NewClaim("d", "v4", later)], later)
    assert (now_held.vote_id, now_held.version) == ("v3", held.version + 2)


def test_pending_claim_goes_stale_after_the_limit(db):
    store = MongoClaimStore(db.claims)
    store.claim([NewClaim("p", "v1", NOW + timedelta(days=1))], NOW)
    [held] = store.claim([NewClaim("p", "v2", NOW)], NOW)
    assert not held.is_stale(NOW + timedelta(seconds=10), timedelta(seconds=30))
    assert held.is_stale(NOW + timedelta(seconds=31), timedelta(seconds=30))


def test_expiry_removes_only_expired_claims(db):
    store = MongoClaimStore(db.claims)
    store.claim([NewClaim("old", "v1", NOW - timedelta(seconds=1)), NewClaim("new", "v2", NOW + timedelta(hours=1))],
                NOW)
    assert store.expire(NOW) == 1
    assert {d["_id"] for d in db.claims.find()} == {"new"}


def test_rate_limiter_counts_across_calls_and_windows(db):
    limiter = MongoRateLimiter(db.rate, limit_per_minute=3)
    assert [limiter.hit("ip", 1, NOW) for _ in range(3)] == [None, None, None]
    retry_after = limiter.hit("ip", 1, NOW + timedelta(seconds=15))
    assert retry_after == pytest.approx(45, abs=1)
    assert limiter.hit("other-ip", 1, NOW) is None
    assert limiter.hit("ip", 1, NOW + timedelta(minutes=1)) is None
    # A window may go 2 minutes after it ends, rounded up to the hour (expiry goes by `due` hour).
    assert limiter.expire(NOW + timedelta(minutes=59)) == 0
    assert limiter.expire(NOW + timedelta(hours=1)) == 3

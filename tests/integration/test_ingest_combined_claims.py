"""Issue 24's combined claims on the real store and the real broker: the idempotency and voter-day
claims of a request are taken in one insert, and the guarantees stay: no vote published twice
under two vote_ids, none lost, a retry answered as before, stale claims taken over.

A crash is the intake dying between its claims and its publish (a BaseException out of the
publisher: nothing after it runs, as with SIGKILL at that point); the retry comes to a fresh intake,
with its own store clients and memory, as a restarted process would be.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from services.channels.config import ChannelsConfig
from services.ingest.auth import ChannelKeys
from services.ingest.bootstrap import bootstrap
from services.ingest.config import IngestConfig
from services.ingest.intake import Result, Source, Submission, VoteIntake
from shared import mongo
from tests.support.fakes import Clock
from tests.support.kafka_read import read_topic

NOW = datetime.now(UTC).replace(microsecond=0)
QR = Source("qr", address="203.0.113.7")


class Died(BaseException):
    """The process ended here: no handler of the intake's runs after it."""


class DiesBeforePublishing:
    def publish(self, events):
        raise Died()


def make_intake(settings, clock: Clock, publisher=None) -> VoteIntake:
    """A fresh intake (as in a new process) on the test's database and topics."""
    ingest = bootstrap(IngestConfig(platform=settings, stale_claim_s=30), keys=ChannelKeys({"qr": ["k"]}),
                       voter_secret=b"combined-claims-secret", publisher=publisher, clock=clock, readiness={},
                       channels=ChannelsConfig(public_base_url="https://amphoesangsook.example"))
    return ingest.intake


def vote(voter: str, district: str = "3706", score: int = 4) -> dict:
    return {"district_code": district, "score": score, "voter_id": voter}


def published(settings) -> list[str]:
    return [event["vote_id"] for _, event in read_topic(settings.kafka_bootstrap, settings.topics.votes, 5)]


def test_a_crash_between_the_claims_and_the_publish_loses_nothing(settings):
    clock = Clock(NOW)
    dying = make_intake(settings, clock, DiesBeforePublishing())
    with pytest.raises(Died):
        dying.submit(QR, [Submission(vote("crash-voter"), "crash-key")])
    assert published(settings) == []
    claims = mongo.database(settings).ingest_claims
    assert claims.count_documents({}) == 2  # both claims were taken, in one insert, and left pending

    restarted = make_intake(settings, clock)
    [early] = restarted.submit(QR, [Submission(vote("crash-voter"), "crash-key")])
    assert early.result == Result.IN_PROGRESS  # not stale yet: the first attempt may still be running
    clock.advance(seconds=31)
    [retry] = restarted.submit(QR, [Submission(vote("crash-voter"), "crash-key")])
    assert retry.result == Result.ACCEPTED
    [again] = restarted.submit(QR, [Submission(vote("crash-voter"), "crash-key")])
    assert (again.result, again.vote_id) == (Result.REPLAYED, retry.vote_id)
    assert published(settings) == [retry.vote_id]


def test_a_crashed_vote_is_taken_over_by_the_voters_next_request_under_its_vote_id(settings):
    clock = Clock(NOW)
    with pytest.raises(Died):
        make_intake(settings, clock, DiesBeforePublishing()).submit(QR, [Submission(vote("v2"), "first-key")])
    clock.advance(seconds=31)
    intake = make_intake(settings, clock)
    [other] = intake.submit(QR, [Submission(vote("v2", score=2), "second-key")])
    assert other.result == Result.ACCEPTED
    # The first request's retry goes out under the same vote_id: scoring counts the voter's day once.
    [first_retry] = intake.submit(QR, [Submission(vote("v2"), "first-key")])
    assert (first_retry.result, first_retry.vote_id) == (Result.ACCEPTED, other.vote_id)
    assert set(published(settings)) == {other.vote_id}


def test_two_concurrent_retries_of_one_key_publish_once(settings):
    clock = Clock(NOW)
    with pytest.raises(Died):
        make_intake(settings, clock, DiesBeforePublishing()).submit(QR, [Submission(vote("race"), "race-key")])
    clock.advance(seconds=31)
    intakes = [make_intake(settings, clock) for _ in range(6)]  # six processes retrying at once
    outcomes = []
    start = threading.Barrier(len(intakes))

    def retry(intake: VoteIntake) -> None:
        start.wait()
        outcomes.extend(intake.submit(QR, [Submission(vote("race"), "race-key")]))

    threads = [threading.Thread(target=retry, args=(i,)) for i in intakes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    accepted = [o for o in outcomes if o.result == Result.ACCEPTED]
    assert len(outcomes) == 6 and len(accepted) == 1
    assert {o.result for o in outcomes} <= {Result.ACCEPTED, Result.IN_PROGRESS, Result.REPLAYED}
    assert published(settings) == [accepted[0].vote_id]


def test_a_stale_failed_claim_is_taken_over_and_published_under_its_vote_id(settings):
    clock = Clock(NOW)
    intake = make_intake(settings, clock)
    [first] = make_intake(settings, clock, FailsToPublish()).submit(
        QR, [Submission(vote("failed-voter"), "failed-key")])
    assert first.result == Result.KAFKA_UNAVAILABLE
    [held] = [doc for doc in mongo.database(settings).ingest_claims.find({}) if doc.get("fingerprint")]
    [retry] = intake.submit(QR, [Submission(vote("failed-voter"), "failed-key")])
    assert retry.result == Result.ACCEPTED and retry.vote_id == held["vote_id"]  # failed: stale at once
    assert published(settings) == [retry.vote_id]


def test_a_voters_second_vote_the_same_day_is_refused(settings):
    intake = make_intake(settings, Clock(NOW))
    [first] = intake.submit(QR, [Submission(vote("daily"), "day-key-1")])
    [second] = intake.submit(QR, [Submission(vote("daily", score=1), "day-key-2")])
    [other_district] = intake.submit(QR, [Submission(vote("daily", district="4408"), "day-key-3")])
    assert (first.result, second.result, other_district.result) == (
        Result.ACCEPTED, Result.ALREADY_VOTED, Result.ACCEPTED)
    # The refused vote's key is free again: its retry is judged afresh (and refused again), never replayed.
    [second_retry] = intake.submit(QR, [Submission(vote("daily", score=1), "day-key-2")])
    assert second_retry.result == Result.ALREADY_VOTED
    assert sorted(published(settings)) == sorted([first.vote_id, other_district.vote_id])


class FailsToPublish:
    """Kafka refused the vote: the publisher reports an error for it (the claims are marked failed)."""

    def publish(self, events):
        return [RuntimeError("broker away")] * len(events)


def test_concurrent_requests_of_one_process_share_inserts_and_each_counts_once(settings):
    """One process, 24 request threads at once (services/ingest/takes.py groups their claims): 16 voters each
    once, one key sent 4 times, and a voter sending 4 votes under 4 keys. Each voter's day is published once,
    the repeated key once under one vote_id, and fewer claim inserts are made than requests."""
    intake = make_intake(settings, Clock(NOW))
    inserts = intake.claims.store.store  # GroupTakes → GroupMarks → the real claim store
    calls, take = [], inserts.take

    def counted_take(claims, now):
        calls.append(len(claims))
        return take(claims, now)

    inserts.take = counted_take
    requests = ([(vote(f"crowd-{i}"), f"crowd-key-{i}") for i in range(16)]
                + [(vote("same-key-voter"), "same-key")] * 4
                + [(vote("eager", score=s), f"eager-key-{s}") for s in range(1, 5)])
    outcomes: dict[int, object] = {}
    start = threading.Barrier(len(requests))

    def send(n: int) -> None:
        body, key = requests[n]
        start.wait()
        [outcomes[n]] = intake.submit(QR, [Submission(body, key)])

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    crowd = [outcomes[n] for n in range(16)]
    same = [outcomes[n] for n in range(16, 20)]
    eager = [outcomes[n] for n in range(20, 24)]
    assert all(o.result == Result.ACCEPTED for o in crowd)
    assert [o.result for o in same].count(Result.ACCEPTED) == 1
    assert {o.result for o in same} <= {Result.ACCEPTED, Result.IN_PROGRESS, Result.REPLAYED}
    same_id = next(o.vote_id for o in same if o.result == Result.ACCEPTED)
    assert all(o.vote_id == same_id for o in same if o.result == Result.REPLAYED)
    assert [o.result for o in eager].count(Result.ACCEPTED) == 1
    assert all(o.result == Result.ALREADY_VOTED for o in eager if o.result != Result.ACCEPTED)
    expected = [o.vote_id for o in crowd] + [same_id] + [o.vote_id for o in eager if o.result == Result.ACCEPTED]
    assert sorted(published(settings)) == sorted(expected)
    assert sum(calls) == 2 * len(requests)  # every request offered its key and its voter's day, once
    assert len(calls) < len(requests), f"the claims were not grouped: {calls}"

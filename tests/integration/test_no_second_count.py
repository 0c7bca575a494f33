"""The issue's proof: a batch with one unserialisable vote, the client's retries (at once, after the
claims go stale, and after ingest died mid-publish), and scoring's own one-vote-per-voter-day rule.

Real gunicorn, real Kafka, real document server, the real scoring consumer.
"""

from __future__ import annotations

import contextlib
import json
import random
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import replace

import requests

from shared import kafka, mongo
from shared.claims import mark_id
from shared.events import parse_vote_event
from tests.integration.ingest_env import KEYS, ingest_env
from tests.support.kafka_read import read_topic
from tests.support.processes import ServiceProcess
from tests.support.scoring import (
    ConsumerProcess,
    make_vote,
    now_utc,
    producer,
    scoring_env,
    send_votes,
    wait_until,
)

KIOSK = {"Authorization": f"Bearer {KEYS['kiosk']}"}
STALE_S = 3
CRASH_STALE_S = 20  # long enough that a restarted ingest on a busy machine answers before the claims go stale


def _batch(url: str, votes: list, timeout: float = 30) -> list[dict]:
    response = requests.post(url + "/v1/votes/batch", json={"votes": votes}, headers=KIOSK, timeout=timeout)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def _counted(db) -> int:
    from services.scoring.store import bucket_from_doc

    return sum(t.votes for doc in db.scoring_buckets.find({}) for t in bucket_from_doc(doc).tallies.values())


def test_retries_after_an_unserialisable_item_and_a_crash_publish_each_vote_under_one_vote_id(settings, tag):
    votes = [{"district_code": code, "score": 4, "voter_id": f"{tag}-voter-{i}", "idempotency_key": f"{tag}-{i}"}
             for i, code in enumerate(["3706", "4408", "4712", "3706"])]
    votes.append({"district_code": "3706", "score": 1, "voter_id": f"{tag}-voter-x", "comment": "x \ud800"})
    env = ingest_env(settings, STALE_CLAIM_S=str(STALE_S))
    with ServiceProcess("services.ingest.wsgi:app", env) as ingest:
        first = _batch(ingest.url, votes)
        assert [r["status"] for r in first] == [202, 202, 202, 202, 422]
        for wait in (0, STALE_S + 1):  # the client's retries: at once, and once any claim would be stale
            time.sleep(wait)
            again = _batch(ingest.url, votes)
            assert [r["status"] for r in again] == [202, 202, 202, 202, 422]
            assert [r.get("vote_id") for r in again[:4]] == [r["vote_id"] for r in first[:4]]

    # Ingest dies while it waits for Kafka (the topic is not there yet): its claims stay pending.
    late = replace(settings.topics, votes=f"{settings.topics.votes}.late")
    crash_votes = [{"district_code": "5001", "score": 2, "voter_id": f"{tag}-crash-{i}",
                    "idempotency_key": f"{tag}-crash-{i}"} for i in range(3)]
    crash_env = ingest_env(replace(settings, topics=late), STALE_CLAIM_S=str(CRASH_STALE_S), PUBLISH_TIMEOUT_S="5")
    with ServiceProcess("services.ingest.wsgi:app", crash_env) as doomed:
        sender = threading.Thread(target=lambda: _swallow(lambda: _batch(doomed.url, crash_votes, timeout=10)))
        sender.start()
        time.sleep(1.5)
        doomed.kill()
        killed_at = time.monotonic()
        sender.join()
    db = mongo.database(settings)
    # A claim's outcome is a mark for its version (shared/claims.py): none means still pending.
    pending = {d["vote_id"] for d in db.ingest_claims.find({})
               if db.ingest_claims_marks.find_one({"_id": mark_id(d["_id"], d["version"])}) is None}
    assert len(pending) == 3, "the crash should leave the three votes' claims pending"
    kafka.ensure_topics(replace(settings, topics=late))
    with ServiceProcess("services.ingest.wsgi:app", crash_env) as ingest:
        assert {r["status"] for r in _batch(ingest.url, crash_votes)} == {409}  # not stale yet: in progress
        assert time.monotonic() - killed_at < CRASH_STALE_S, "the 409 above must come before the claims went stale"
        time.sleep(max(0.0, killed_at + CRASH_STALE_S + 1 - time.monotonic()))
        retried = _batch(ingest.url, crash_votes)
        assert [r["status"] for r in retried] == [202, 202, 202]
        assert {r["vote_id"] for r in retried} == pending  # taken over under the ids they were given

    events = read_topic(settings.kafka_bootstrap, settings.topics.votes)
    events += read_topic(settings.kafka_bootstrap, late.votes)
    ids_by_voter: dict[str, set[str]] = defaultdict(set)
    for _key, event in events:
        ids_by_voter[event["voter_key"]].add(event["vote_id"])
    assert len(ids_by_voter) == 7 and all(len(ids) == 1 for ids in ids_by_voter.values())
    assert len(events) == 7

    # Scoring counts each once, and enforces one vote per voter per district per day itself: the
    # same voter's vote under a new vote_id (what ingest once did after a 500) is a duplicate.
    _key, original = events[0]
    p = producer(settings)
    twin = replace(parse_vote_event(json.dumps(original).encode()), vote_id=f"{tag}-twin", score=1)
    send_votes(p, settings.topics.votes, [twin])
    p.close()
    db = mongo.database(settings)
    with ConsumerProcess(scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-"))) as _consumer:
        wait_until(lambda: db.scoring_votes.count_documents({}) >= 5, 120, "scoring to read votes.v1")
        time.sleep(1.0)
        assert _counted(db) == 4
        assert db.scoring_votes.find_one({"_id": f"{tag}-twin"})["dup"] == "voter_already_counted_today"


def _swallow(action) -> None:
    with contextlib.suppress(requests.RequestException):  # the server was killed mid-request: that is the point
        action()


def test_scoring_counts_one_vote_per_voter_day_across_restarts(settings, tag):
    rng = random.Random(7)
    now = now_utc()
    key = "b" * 64
    base = make_vote(rng, now, codes=("4408",))
    same_voter = [replace(base, vote_id=f"{tag}-{i}", voter_key=key, received_at=now, submitted_at=now)
                  for i in range(5)]
    other_day = replace(same_voter[0], vote_id=f"{tag}-tomorrow", received_at=now.replace(year=now.year + 1))
    p = producer(settings)
    send_votes(p, settings.topics.votes, [*same_voter, other_day])
    p.close()
    db = mongo.database(settings)
    env = scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-"))
    with ConsumerProcess(env):
        wait_until(lambda: db.scoring_votes.count_documents({}) >= 6, 120, "votes recorded")
        time.sleep(1.0)
    with ConsumerProcess(env):  # a restart replays nothing twice
        time.sleep(3.0)
    assert _counted(db) == 2
    duplicates = list(db.scoring_votes.find({"dup": {"$exists": True}}))
    assert len(duplicates) == 4

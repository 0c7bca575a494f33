"""Eligibility needs votes from MIN_SOURCES distinct sources (issue 22), on the real broker and store: one kiosk
key alone cannot make a district eligible through ingest, scoring and ranking; SIGKILLs of scoring and a
replay of the whole log leave every district's count of sources as it was."""

from __future__ import annotations

import random
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import timedelta

import requests

from services.ranking.site.words import TEXT
from services.scoring.store import ScoringStore
from shared import mongo
from shared.districts import load_registry
from tests.integration.ingest_env import AUTH, KEYS, ingest_env
from tests.support.processes import ServiceProcess
from tests.support.ranking import RankingConsumer, ranking_env
from tests.support.scoring import (
    ConsumerProcess,
    make_vote,
    now_utc,
    producer,
    scoring_env,
    send_votes,
    wait_until,
)

REGISTRY = load_registry()
A, B = sorted(d.code for d in REGISTRY if d.size_group == "small")[:2]
RULE = {"MIN_SOURCES": "3"}


def entries(url: str) -> dict[str, dict]:
    body = requests.get(f"{url}/v1/leaderboards/small?per_page=1000", timeout=10).json()
    return {e["district_code"]: e for e in body["entries"]}


def test_one_kiosk_key_alone_cannot_make_a_district_eligible(settings):
    renv = ranking_env(settings, RANKING_FORMULA="mean", RANKING_PARAMS="min_votes=2", **RULE)
    qr = {"Authorization": f"Bearer {KEYS['qr']}"}
    with ServiceProcess("services.ingest.wsgi:app", ingest_env(settings)) as ingest, \
            ConsumerProcess(scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-"), **RULE)), \
            RankingConsumer(renv), ServiceProcess("services.ranking.wsgi:app", renv) as ranking:
        # Twelve votes for A from one kiosk key, naming twelve different voters: still one source.
        votes = [{"district_code": A, "score": 5, "voter_id": f"citizen-{i}"} for i in range(12)]
        votes += [{"district_code": B, "score": 3}, {"district_code": B, "score": 3}]
        r = requests.post(f"{ingest.url}/v1/votes/batch", headers=AUTH, timeout=30, json={"votes": votes})
        assert r.status_code == 200 and r.json()["accepted"] == 14, r.text
        board = wait_until(lambda: (lambda e: e if (e[A]["votes"], e[B]["votes"]) == (12, 2) else None)(
            entries(ranking.url)), 90, "the kiosk's votes on the board")
        assert (board[A]["eligible"], board[A]["rank"], board[A]["votes_needed"], board[A]["sources_needed"]) \
            == (False, None, 0, 2), board[A]
        assert (board[B]["eligible"], board[B]["sources_needed"]) == (False, 2)
        page = requests.get(f"{ranking.url}/ranking/district/{A}", timeout=10)
        assert page.status_code == 200 and TEXT["th"]["needs_sources"].format(n=2) in page.text
        # Two people by QR code: three sources, and A is ranked.
        for person in ("phone-1", "phone-2"):
            r = requests.post(f"{ingest.url}/v1/votes", headers=qr, timeout=30,
                              json={"district_code": A, "score": 4, "voter_id": person})
            assert r.status_code == 202, r.text
        board = wait_until(lambda: (lambda e: e if e[A]["votes"] == 14 else None)(entries(ranking.url)), 90,
                           "the QR votes on the board")
        assert (board[A]["eligible"], board[A]["rank"], board[A]["sources_needed"]) == (True, 1, 0), board[A]
        assert board[B]["rank"] is None
        formula = requests.get(f"{ranking.url}/v1/leaderboards/small", timeout=10).json()["formula"]
        assert formula["min_sources"] == 3


def sources_of(db) -> dict[str, int]:
    return {d: s.windows["campaign"]["sources"] for d, s in ScoringStore(db).all_standings().items()}


def test_sigkills_and_a_whole_replay_leave_the_count_of_sources_unchanged(settings):
    rng = random.Random(22)
    now = now_utc()
    distinct = {"3706": 1, "4408": 2, "4712": 4, "1101": 9}  # sources per district; the cap is 3
    votes = []
    for code, n in distinct.items():
        keys = [uuid.uuid4().hex * 2 for _ in range(n)]
        for i in range(60):
            vote = make_vote(rng, now, codes=(code,))
            votes.append(replace(vote, source_key=keys[i % n], submitted_at=now - timedelta(days=i % 3)))
    rng.shuffle(votes)
    expected = {code: min(n, 3) for code, n in distinct.items()}
    env = scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-"), SCORING_MAX_BATCH="20", **RULE)
    db = mongo.database(settings)
    p = producer(settings)
    consumer = ConsumerProcess(env).start()
    try:
        for chunk in range(0, len(votes), 40):
            send_votes(p, settings.topics.votes, votes[chunk:chunk + 40])
            time.sleep(rng.uniform(0.2, 0.8))
            consumer.kill()  # SIGKILL: whatever it applied and did not commit is redelivered
            consumer = ConsumerProcess(env).start()
        wait_until(lambda: sum(s.windows["campaign"]["votes"] for s in ScoringStore(db).all_standings().values())
                   == len(votes), 120, "every vote applied")
        assert sources_of(db) == expected
    finally:
        consumer.stop()
    buckets = [d for d in db.scoring_buckets.find({})]
    from services.scoring.store import bucket_from_doc

    assert all(len(t.sources) <= 3 for doc in buckets for t in bucket_from_doc(doc).tallies.values())
    # The whole log again (a new group, the same store): nothing is added twice.
    with ConsumerProcess({**env, "SCORING_GROUP_ID": f"replay-{settings.mongo_db}"}) as replay:
        wait_until(lambda: _committed_everything(settings, f"replay-{settings.mongo_db}"), 120,
                   "the replay at the log's end", interval=1.0)
        assert sources_of(db) == expected, replay.output()
        assert sum(s.windows["campaign"]["votes"] for s in ScoringStore(db).all_standings().values()) == len(votes)
    p.close()


def _committed_everything(settings, group: str) -> bool:
    """The group's committed offsets have reached the end of every votes partition (read, not joined)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=group, enable_auto_commit=False)
    try:
        parts = [TopicPartition(settings.topics.votes, p)
                 for p in consumer.partitions_for_topic(settings.topics.votes) or []]
        ends = consumer.end_offsets(parts)
        return all(ends[tp] == 0 or (consumer.committed(tp) or 0) >= ends[tp] for tp in parts)
    finally:
        consumer.close()

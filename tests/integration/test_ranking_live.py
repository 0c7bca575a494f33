"""Ranking on the real broker and store: votes through ingest reach the leaderboard; stale standings change
nothing; a SIGKILLed consumer ends with the leaderboards a recomputation from scoring's figures gives."""

from __future__ import annotations

import json
import random
import signal
import tempfile
import time

import pytest
import requests
from kafka import KafkaProducer

from services.ranking.formulas import Formula
from services.ranking.store import RankingStore
from shared import mongo
from shared.districts import load_registry
from tests.integration.ingest_env import AUTH, ingest_env
from tests.support.processes import ServiceProcess
from tests.support.ranking import RankingConsumer, ranking_boards, ranking_env, scoring_boards
from tests.support.scoring import (
    ConsumerProcess,
    make_vote,
    now_utc,
    producer,
    scoring_env,
    send_votes,
    standings_totals,
    wait_until,
)

REGISTRY = load_registry()
SMALL = sorted(d.code for d in REGISTRY if d.size_group == "small")[:3]
MEAN2 = {"RANKING_FORMULA": "mean", "RANKING_PARAMS": "min_votes=2"}


def board(url: str, group: str = "small") -> dict[str, dict]:
    body = requests.get(f"{url}/v1/leaderboards/{group}?per_page=1000", timeout=10).json()
    return {e["district_code"]: e for e in body["entries"]}


def test_votes_posted_through_ingest_reach_the_leaderboard_with_mean_and_rank(settings):
    a, b, c = SMALL
    votes = [(a, 5), (a, 5), (a, 4), (b, 4), (b, 4), (c, 5)]
    renv = ranking_env(settings, **MEAN2)
    with ServiceProcess("services.ingest.wsgi:app", ingest_env(settings)) as ingest, \
            ConsumerProcess(scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-"))), \
            RankingConsumer(renv), ServiceProcess("services.ranking.wsgi:app", renv) as ranking:
        r = requests.post(f"{ingest.url}/v1/votes/batch", headers=AUTH, timeout=30,
                          json={"votes": [{"district_code": d, "score": s} for d, s in votes]})
        assert r.status_code == 200 and r.json()["accepted"] == 6, r.text
        entries = wait_until(lambda: (lambda e: e if (e[a]["votes"], e[b]["votes"], e[c]["votes"]) == (3, 2, 1)
                                      else None)(board(ranking.url)), 90, "the three districts' votes")
        assert (entries[a]["rank"], entries[a]["mean"], entries[a]["score"]) == (1, 4.6667, 4.6667)
        assert (entries[b]["rank"], entries[b]["mean"]) == (2, 4.0)
        assert (entries[c]["rank"], entries[c]["eligible"], entries[c]["votes_needed"]) == (None, False, 1)
        first = requests.get(f"{ranking.url}/v1/leaderboards/small", timeout=10).json()["entries"]
        assert [e["district_code"] for e in first[:2]] == [a, b]
        mine = requests.get(f"{ranking.url}/v1/districts/{a}/rank", timeout=10).json()
        assert mine["group"] == "small" and mine["windows"]["7d"]["rank"] == 1
        wait_until(lambda: requests.get(f"{ranking.url}/readyz", timeout=10).status_code == 200, 30,
                   "ranking ready (store and consumer heartbeat)")
        metrics = wait_until(lambda: (lambda m: m if "stream_consumer_lag" in m else None)(
            requests.get(f"{ranking.url}/metrics", timeout=10).text), 30, "the consumer's lag in /metrics")
        applied = [line for line in metrics.splitlines() if line.startswith("ranking_events_applied_total")]
        assert len(applied) == 1 and float(applied[0].split()[-1]) >= 3, applied


def scores_event(code: str, votes: int, total: int, offset: int, as_of: str) -> bytes:
    window = {"from": None, "to": None, "votes": votes, "sum": total, "mean": round(total / votes, 4),
              "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": votes}, "last_vote_at": None}
    return json.dumps({"schema": "scores.v1", "district_code": code, "day": now_utc().date().isoformat(),
                       "as_of": as_of, "windows": {"campaign": window, "last_7_days": window,
                                                   "last_30_days": window},
                       "latest_comments": [], "votes_offset": offset}).encode()


def test_a_stale_standing_replayed_after_a_newer_one_changes_nothing(settings):
    a, b, _ = SMALL
    renv = ranking_env(settings, **MEAN2)
    p = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    with RankingConsumer(renv), ServiceProcess("services.ranking.wsgi:app", renv) as ranking:
        p.send(settings.topics.scores, key=a.encode(), value=scores_event(a, 10, 50, 20, "2026-11-21T03:00:00.000Z"))
        p.flush()
        wait_until(lambda: board(ranking.url)[a]["votes"] == 10, 60, "the newer standing")
        # The older standing arrives late (a redelivery, a zombie producer), then a marker for another district.
        p.send(settings.topics.scores, key=a.encode(), value=scores_event(a, 4, 20, 7, "2026-11-21T03:00:09.000Z"))
        p.send(settings.topics.scores, key=b.encode(), value=scores_event(b, 2, 10, 3, "2026-11-21T03:00:10.000Z"))
        p.flush()
        entries = wait_until(lambda: (lambda e: e if e[b]["votes"] == 2 else None)(board(ranking.url)), 60,
                             "the marker after the stale standing")
        assert (entries[a]["votes"], entries[a]["mean"]) == (10, 5.0)
        stored = RankingStore(mongo.database(settings)).all_figures()[a]
        assert stored["votes_offset"] == 20
        metrics = requests.get(f"{ranking.url}/metrics", timeout=10).text
        ignored = [line for line in metrics.splitlines() if line.startswith("ranking_stale_events_ignored_total")]
        assert len(ignored) == 1 and float(ignored[0].split()[-1]) >= 1, ignored
    p.close()


@pytest.mark.slow
def test_sigkill_of_the_ranking_consumer_during_a_stream_ends_equal_to_a_recomputation(settings):
    rng = random.Random(11)
    codes = sorted(d.code for d in REGISTRY)[::4]  # 220 districts across the three groups
    formula = Formula("bayes", {"prior_weight": 5, "min_votes": 3})
    renv = ranking_env(settings, RANKING_FORMULA="bayes", RANKING_PARAMS="prior_weight=5,min_votes=3",
                       RANKING_MAX_BATCH="50")  # small batches: the kills land between and inside them
    db = mongo.database(settings)
    p = producer(settings)
    total = 0
    with ConsumerProcess(scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-"))):
        consumer = RankingConsumer(renv).start()
        try:
            for wave in range(6):
                now = now_utc()
                total += len(send_votes(p, settings.topics.votes,
                                        [make_vote(rng, now, codes=codes) for _ in range(400)]))
                time.sleep(0.5 + rng.random())
                consumer.kill(signal.SIGKILL)
                assert consumer.proc.returncode == -signal.SIGKILL, f"wave {wave}: {consumer.output()}"
                consumer = RankingConsumer(renv).start()
            wait_until(lambda: sum(standings_totals(db).values()) == total, 180, f"scoring applied {total} votes")
            expected = scoring_boards(db, REGISTRY, formula)
            wait_until(lambda: ranking_boards(db, REGISTRY, formula) == expected, 120,
                       "ranking's leaderboards equal to the recomputation")
        finally:
            consumer.stop()
    p.close()
    got = ranking_boards(db, REGISTRY, formula)
    assert got == expected
    ranked = [e for entries in got.values() for e in entries if e.rank is not None]
    assert len(ranked) > 100  # the comparison covered real rankings, not empty boards

"""Ranking test support: its environment, the sangsuk CLI as a real process, a copy of a log with one vote altered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from shared.config import Settings
from tests.support.processes import ROOT, ManagedProcess


def ranking_env(settings: Settings, **extra: str) -> dict[str, str]:
    import tempfile

    return {
        "RANKING_STATE_DIR": tempfile.mkdtemp(prefix="ranking-state-"), "RANKING_POLL_TIMEOUT_MS": "200",
        "RANKING_RELOAD_S": "0.1",
        "KAFKA_BOOTSTRAP": settings.kafka_bootstrap, "MONGO_URI": settings.mongo_uri, "MONGO_DB": settings.mongo_db,
        "TOPIC_VOTES": settings.topics.votes, "TOPIC_VOTES_DLQ": settings.topics.votes_dlq,
        "TOPIC_SCORES": settings.topics.scores, "TOPIC_COMMENTS": settings.topics.comments,
        "TOPIC_STORIES": settings.topics.stories, "TOPIC_STORIES_PUBLISHED": settings.topics.stories_published,
            "TOPIC_STORIES_DECISIONS": settings.topics.stories_decisions,
        "TOPIC_BALLOTS": settings.topics.ballots,
        "VOTES_PARTITIONS": str(settings.votes_partitions), "RANKING_GROUP_ID": f"ranking-{settings.mongo_db}",
        # Scoring's group as tests/support/scoring.py names it: an award's close reports how far it had decided.
        "SCORING_GROUP_ID": f"scoring-{settings.mongo_db}",
        # Tests of other rules feed votes from one kiosk key or none: the distinct-sources rule off (1) unless
        # a test sets it (tests/integration/test_rank_sources.py).
        "MIN_SOURCES": "1",
        **extra,
    }


@dataclass
class Run:
    code: int
    out: dict | str
    err: str


def sangsuk(env: dict[str, str], *args: str, timeout_s: float = 300) -> Run:
    """Run `sangsuk ARGS` as its own process; stdout parsed as JSON when it is JSON."""
    proc = subprocess.run([sys.executable, "-m", "shared.cli", *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=timeout_s)
    try:
        out: dict | str = json.loads(proc.stdout)
    except ValueError:
        out = proc.stdout
    return Run(proc.returncode, out, proc.stderr)


def copy_log(settings: Settings, source: str, target: str, alter: callable | None = None) -> int:
    """Copy every record of `source` into the same partition of `target` (a fresh topic: same offsets),
    passing each value through `alter`; returns how many were copied."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False)
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True,
                             max_in_flight_requests_per_connection=1)
    copied = 0
    try:
        parts = [TopicPartition(source, p) for p in sorted(consumer.partitions_for_topic(source))]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            for tp, records in consumer.poll(timeout_ms=1000).items():
                for r in records:
                    value = alter(r.value) if alter else r.value
                    producer.send(target, key=r.key, value=value, partition=tp.partition).get(timeout=30)
                    copied += 1
        return copied
    finally:
        producer.close()
        consumer.close()


class RankingConsumer(ManagedProcess):
    """`python -m services.ranking.consumer` as a real OS process (so it can be SIGKILLed)."""

    def __init__(self, env: dict[str, str]):
        super().__init__([sys.executable, "-m", "services.ranking.consumer"], env, log_prefix="ranking-consumer-")


def scoring_boards(db, registry, formula):
    """The leaderboards recomputed from scoring's stored standings (the oracle for ranking's own)."""
    from services.ranking.boards import build_boards
    from services.scoring.store import standings_in

    figures = {}
    for doc in db.scoring_standings.find({}):
        figures.update({code: s.to_document() for code, s in standings_in(doc).items()})
    return build_boards(figures, registry, formula)


def ranking_boards(db, registry, formula):
    from services.ranking.boards import build_boards
    from services.ranking.store import RankingStore

    return build_boards(RankingStore(db).all_figures(), registry, formula)


def wait_scoring_decided(settings: Settings, timeout_s: float = 120) -> dict[int, int]:
    """Wait until scoring's group (tests/support/scoring.py's name) has committed votes.v1 to its end: every vote
    then has its ballot in ballots.v1 (they are acknowledged before the commit). Returns the committed offsets."""
    from services.ranking.coverage import committed_offsets
    from services.ranking.replay import end_offsets
    from tests.support.scoring import wait_until

    ends = {p: o for p, o in end_offsets(settings, settings.topics.votes).items() if o}
    if not ends:
        return {}

    def decided():
        committed = committed_offsets(settings, f"scoring-{settings.mongo_db}", settings.topics.votes)
        return committed if not isinstance(committed, str) and all(
            committed.get(p, 0) >= o for p, o in ends.items()) else None

    return wait_until(decided, timeout_s, "scoring to decide every vote of votes.v1")

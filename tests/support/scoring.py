"""Scoring test support: the consumer as a real process, votes produced straight to Kafka, the oracle."""

from __future__ import annotations

import json
import random
import sys
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kafka import KafkaProducer

from shared.config import Settings
from shared.events import VoteEvent
from shared.timeutil import bangkok_day
from tests.support.processes import ROOT, ManagedProcess

CODES = ("3706", "4408", "4712", "1101", "5001", "9601", "3401", "4001", "6501", "8301")


def scoring_env(settings: Settings, state_dir: str, **extra: str) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP": settings.kafka_bootstrap, "MONGO_URI": settings.mongo_uri, "MONGO_DB": settings.mongo_db,
        "TOPIC_VOTES": settings.topics.votes, "TOPIC_VOTES_DLQ": settings.topics.votes_dlq,
        "TOPIC_SCORES": settings.topics.scores, "TOPIC_COMMENTS": settings.topics.comments,
        "TOPIC_STORIES": settings.topics.stories, "TOPIC_STORIES_PUBLISHED": settings.topics.stories_published,
            "TOPIC_STORIES_DECISIONS": settings.topics.stories_decisions,
        "TOPIC_BALLOTS": settings.topics.ballots, "VOTES_PARTITIONS": str(settings.votes_partitions),
        "SCORING_STATE_DIR": state_dir,
        "SCORING_GROUP_ID": f"scoring-{settings.mongo_db}", "SCORING_POLL_TIMEOUT_MS": "200", **extra,
    }


class ConsumerProcess(ManagedProcess):
    """`python -m services.scoring.consumer` as a real OS process (so it can be SIGKILLed)."""

    def __init__(self, env: dict[str, str], cwd: Path = ROOT):
        super().__init__([sys.executable, "-m", "services.scoring.consumer"], env, log_prefix="scoring-consumer-",
                         cwd=cwd)


def make_vote(rng: random.Random, now: datetime, *, codes=CODES, vote_id: str | None = None,
              comment: str = "") -> VoteEvent:
    submitted = now - timedelta(seconds=rng.randint(0, 3 * 86400))
    return VoteEvent(vote_id or uuid.uuid4().hex, rng.choice(codes), rng.randint(1, 5), comment, None, None,
                     "kiosk", None, submitted, submitted)


def producer(settings: Settings) -> KafkaProducer:
    return KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=5,
                         enable_idempotence=True)


def send_votes(p: KafkaProducer, topic: str, votes: list[VoteEvent]) -> list[VoteEvent]:
    """Send and wait for every acknowledgement; returns the acknowledged votes."""
    futures = [(v, p.send(topic, key=v.key, value=v.to_bytes())) for v in votes]
    acked = []
    for v, f in futures:
        f.get(timeout=30)
        acked.append(v)
    return acked


def oracle(votes: list[VoteEvent]) -> dict[tuple[str, str], dict]:
    """Independent expected figures: (district, Bangkok day) -> count, sum, histogram; one per vote_id."""
    seen: dict[str, VoteEvent] = {}
    for v in votes:
        seen.setdefault(v.vote_id, v)
    out: dict[tuple[str, str], dict] = defaultdict(lambda: {"n": 0, "s": 0, "h": [0] * 5})
    for v in seen.values():
        cell = out[(v.district_code, bangkok_day(v.submitted_at).isoformat())]
        cell["n"] += 1
        cell["s"] += v.score
        cell["h"][v.score - 1] += 1
    return dict(out)


def stored_figures(db, prefix: str = "scoring") -> dict[tuple[str, str], dict]:
    out: dict[tuple[str, str], dict] = defaultdict(lambda: {"n": 0, "s": 0, "h": [0] * 5})
    from services.scoring.store import bucket_from_doc

    for doc in db[f"{prefix}_buckets"].find({}):
        for district, t in bucket_from_doc(doc).tallies.items():
            cell = out[(district, doc["day"])]
            cell["n"] += t.votes
            cell["s"] += t.total
            cell["h"] = [a + b for a, b in zip(cell["h"], t.hist, strict=True)]
    return {k: v for k, v in out.items() if v["n"]}


def wait_until(predicate, timeout_s: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def standings_totals(db) -> dict[str, int]:
    out = {}
    from services.scoring.store import standings_in

    for doc in db.scoring_standings.find({}):
        for d, s in standings_in(doc).items():
            out[d] = s.windows["campaign"]["votes"]
    return out


def now_utc() -> datetime:
    return datetime.now(UTC)


def dumps(obj) -> bytes:
    return json.dumps(obj).encode()

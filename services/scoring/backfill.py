"""`sangsuk ballots backfill`: publish scoring's decisions for the whole log to ballots.v1, once.

Why: ballots.v1 began after weeks of votes. Readers that follow it (notify's books, the chief's views)
need the history, decided exactly as the live consumer decides it. The backfill replays votes.v1 and
comments.v1 from their beginning up to the end offsets at its start through scoring's own processor
(the audit's rebuild, into scratch collections; the live store and the consumer group are untouched)
and publishes every ballot with acks=all, nothing else. Ballots the live consumer publishes meanwhile
are the same decisions (the rules are deterministic in log order), and every reader is idempotent by
`vote_id`, so the overlap is harmless; notify's notification log makes a re-read alert send nothing
twice. docs/events.md ("Moving a running platform") gives the order of the steps.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

from services.scoring.audit import rebuild
from services.scoring.bootstrap import Scoring
from services.scoring.store import ScoringStore
from shared import kafka
from shared.events import decode_ballots

log = logging.getLogger(__name__)


class BallotsOnly:
    """The rebuild's output: its ballots go to ballots.v1; standings and dead letters stay home."""

    def __init__(self, producer, topic: str):
        self.producer, self.topic = producer, topic
        self.pending: list = []
        self.dead_letters = 0
        self.published = 0

    def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        if topic == self.topic:
            self.pending.append(self.producer.send(topic, key=key, value=value))
            self.published += len(decode_ballots(value))

    def dead_letter(self, record, reason: str) -> None:
        self.dead_letters += 1

    def flush(self, timeout_s: float = 60.0) -> None:
        self.producer.flush(timeout=timeout_s)
        for future in self.pending:
            future.get(timeout=timeout_s)  # raises if a ballot was not written: the backfill fails loudly
        self.pending = []


def backfill(scoring: Scoring) -> dict:
    settings = scoring.config.platform
    kafka.ensure_topics(settings)
    prefix = f"backfill_{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:6]}"
    producer = kafka.make_producer(settings, client_id="sangsuk-ballots-backfill", publish_timeout_s=60)
    sink = BallotsOnly(producer, settings.topics.ballots)
    started = time.monotonic()
    try:
        summary = rebuild(scoring, prefix, sink=sink)
        sink.flush()
    finally:
        producer.close(timeout=10)
        ScoringStore(scoring.store.db, prefix).drop()
    report = {**summary, "ballots_published": sink.published, "topic": settings.topics.ballots,
              "seconds": round(time.monotonic() - started, 1)}
    log.info("ballots backfilled", extra={"ballots": sink.published, "messages": summary["messages_read"]})
    return report


def run(_args, _settings) -> int:
    from services.scoring.bootstrap import bootstrap

    print(json.dumps(backfill(bootstrap()), ensure_ascii=False, indent=1))
    return 0

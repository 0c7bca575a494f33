"""Scoring's composition root: the web app, the consumer, the audit and the tests all build their parts here.

`bootstrap()` wires what every process needs (registry, store, windows); the process then asks for
its part: `processor(output)`, `consumer_loop()`, or `services.scoring.app.create_app(scoring)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pymongo.database import Database
from pymongo.errors import PyMongoError

from services.scoring.config import ScoringConfig
from services.scoring.processor import Output, ScoringProcessor, Windows
from services.scoring.store import ScoringStore
from shared import kafka, mongo
from shared.districts import Registry, load_registry
from shared.stream.loop import ConsumerLoop
from shared.timeutil import utcnow


@dataclass
class Scoring:
    config: ScoringConfig
    registry: Registry
    store: ScoringStore
    windows: Windows
    clock: Callable[[], datetime]

    def processor(self, output: Output, *, store: ScoringStore | None = None) -> ScoringProcessor:
        return ScoringProcessor(store or self.store, self.registry, output, topics=self.config.platform.topics,
                                windows=self.windows, clock=self.clock, flag_rules=self.config.platform.flags.rules())

    def consumer_loop(self) -> ConsumerLoop:
        """One member of the scoring group: votes.v1 and comments.v1 in, scores.v1 and dead letters out."""
        from services.scoring import metrics
        from shared.stream.kafka_port import kafka_loop

        settings = self.config.platform
        kafka.ensure_topics(settings)  # a consumer started before `sangsuk init` must not wait forever
        return kafka_loop("scoring", settings, self.config.stream,
                          topics=[settings.topics.votes, settings.topics.comments],
                          dlq_topic=settings.topics.votes_dlq, make_processor=self.processor,
                          # RuntimeError: bucket writes that kept conflicting (another member owns them)
                          retry_on=(PyMongoError, RuntimeError), clock=self.clock, observe=metrics.observe,
                          consumer_overrides={"max_partition_fetch_bytes": 8 * 1024 * 1024,
                                              "fetch_max_bytes": 64 * 1024 * 1024})


def bootstrap(config: ScoringConfig | None = None, *, db: Database | None = None,
              clock: Callable[[], datetime] = utcnow) -> Scoring:
    config = config or ScoringConfig.from_env()
    settings = config.platform
    return Scoring(config, load_registry(settings.size_groups_csv),
                   ScoringStore(db if db is not None else mongo.database(settings)),
                   Windows(config.campaign_start, config.campaign_end, settings.min_sources), clock)

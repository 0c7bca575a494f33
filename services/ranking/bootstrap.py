"""Ranking's composition root: the web app, the consumer, the CLI and the tests build their parts here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pymongo.database import Database
from pymongo.errors import PyMongoError

from services.ranking.config import RankingConfig
from services.ranking.live import LiveBoards
from services.ranking.processor import RankingProcessor
from services.ranking.store import RankingStore
from shared import kafka, mongo
from shared.districts import Registry, load_registry
from shared.stream.loop import ConsumerLoop
from shared.timeutil import utcnow


@dataclass
class Ranking:
    config: RankingConfig
    registry: Registry
    store: RankingStore
    clock: Callable[[], datetime]

    def processor(self, sink: object = None) -> RankingProcessor:
        """Ranking publishes nothing: the runtime's sink is not used."""
        return RankingProcessor(self.store, self.registry, self.config.formula, clock=self.clock)

    def live_boards(self) -> LiveBoards:
        return LiveBoards(self.store, self.registry, self.config.formula, clock=self.clock,
                          interval_s=self.config.reload_interval_s)

    def consumer_loop(self) -> ConsumerLoop:
        """One member of the ranking group: scores.v1 in, figures and snapshots into the store."""
        from services.ranking import metrics
        from shared.stream.kafka_port import kafka_loop

        settings = self.config.platform
        kafka.ensure_topics(settings)  # a consumer started before `sangsuk init` must not wait forever
        return kafka_loop("ranking", settings, self.config.stream, topics=[settings.topics.scores],
                          dlq_topic=None, make_processor=self.processor, retry_on=(PyMongoError,),
                          clock=self.clock, observe=metrics.observe)


def bootstrap(config: RankingConfig | None = None, *, db: Database | None = None, store: RankingStore | None = None,
              clock: Callable[[], datetime] = utcnow) -> Ranking:
    """`store` lets unit tests pass an in-memory stand-in of RankingStore."""
    config = config or RankingConfig.from_env()
    settings = config.platform
    if store is None:
        store = RankingStore(db if db is not None else mongo.database(settings))
    return Ranking(config, load_registry(settings.size_groups_csv), store, clock)

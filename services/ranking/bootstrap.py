"""Ranking's composition root: the web app, the consumer, the CLI and the tests build their parts here."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pymongo.database import Database
from pymongo.errors import PyMongoError

from services.ranking.auth import CentralOfficeKeys
from services.ranking.config import RankingConfig
from services.ranking.live import LiveBoards
from services.ranking.processor import RankingProcessor
from services.ranking.store import RankingStore
from shared import kafka, mongo
from shared.config import MissingSetting
from shared.districts import Registry, load_registry
from shared.secrets import read_secret
from shared.stream.heartbeat import consumer_ready
from shared.stream.loop import ConsumerLoop
from shared.timeutil import utcnow
from shared.web import ReadinessCheck

log = logging.getLogger(__name__)


@dataclass
class RankingContext:
    """What the web process's handlers read (`app.extensions["ranking"]`): built once, here."""

    registry: Registry
    provinces: frozenset[str]
    store: RankingStore
    live: LiveBoards
    exports_keys: CentralOfficeKeys


def channel_keys() -> str | None:
    """Voting channels' keys, only to answer 403 (not 401) when one is sent to an export route.

    Optional here: ranking does not authenticate channels, so a missing or unreadable CHANNEL_KEYS(_FILE)
    must not stop the service (the exports then answer 401 for a channel's key too).
    """
    try:
        return read_secret("CHANNEL_KEYS", required=False)
    except MissingSetting as exc:
        log.warning("channel keys unreadable; a channel key at the export routes gets 401, not 403",
                    extra={"error": str(exc)})
        return None


@dataclass
class Ranking:
    config: RankingConfig
    registry: Registry
    store: RankingStore
    clock: Callable[[], datetime]

    def processor(self, sink: object = None) -> RankingProcessor:
        """Ranking publishes nothing: the runtime's sink is not used."""
        processor = RankingProcessor(self.store, self.registry, self.config.formula, clock=self.clock)
        processor.stories_topic = self.config.platform.topics.stories_published
        return processor

    def live_boards(self) -> LiveBoards:
        return LiveBoards(self.store, self.registry, self.config.formula, clock=self.clock,
                          interval_s=self.config.reload_interval_s)

    def consumer_alive(self) -> bool:
        """The consumer's heartbeat is fresh: /readyz and the site's staleness notice ask this."""
        stream = self.config.stream
        return consumer_ready(stream.state_dir, stream.heartbeat_stale_s)

    def readiness(self) -> dict[str, ReadinessCheck]:
        settings = self.config.platform
        return {"store": lambda: mongo.store_reachable(settings), "consumer": self.consumer_alive}

    def web_context(self) -> RankingContext:
        """The web process's parts: its view of the boards (a refresher thread starts) and the export keys."""
        return RankingContext(self.registry, frozenset(d.province_code for d in self.registry), self.store,
                              self.live_boards(), CentralOfficeKeys(self.config.central_office_keys, channel_keys()))

    def consumer_loop(self) -> ConsumerLoop:
        """One member of the ranking group: scores.v1 and stories.published.v1 in, figures, snapshots and the
        published stories into the store."""
        from services.ranking import metrics
        from shared.stream.kafka_port import kafka_loop

        settings = self.config.platform
        kafka.ensure_topics(settings)  # a consumer started before `sangsuk init` must not wait forever
        return kafka_loop("ranking", settings, self.config.stream,
                          topics=[settings.topics.scores, settings.topics.stories_published],
                          dlq_topic=None, make_processor=self.processor, retry_on=(PyMongoError,),
                          clock=self.clock, observe=metrics.observe)


def bootstrap(config: RankingConfig | None = None, *, db: Database | None = None, store: RankingStore | None = None,
              clock: Callable[[], datetime] = utcnow) -> Ranking:
    """`store` lets unit tests pass an in-memory stand-in of RankingStore. A setting missing or unreadable
    stops it with `shared.config.MissingSetting`, as every service's bootstrap."""
    config = config or RankingConfig.from_env()
    settings = config.platform
    registry = load_registry(settings.size_groups_csv)
    if store is None:
        store = RankingStore(db if db is not None else mongo.database(settings))
    return Ranking(config, registry, store, clock)

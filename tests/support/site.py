"""The public site on real servers: a seeded campaign in the real document store, ranking's web process
(gunicorn) and, unless told otherwise, its real consumer (its heartbeat is what tells the site the data
is current). Shared by the integration and browser tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import requests

from services.ranking.config import formula_from_env
from shared import kafka, mongo
from shared.config import Settings, Topics
from shared.districts import load_registry
from shared.timeutil import bangkok_day, utcnow
from tests.support.infra import Infra, delete_topics_tagged
from tests.support.processes import ServiceProcess
from tests.support.ranking import RankingConsumer, ranking_env
from tests.support.scoring import wait_until
from tests.support.site_data import seed_campaign

PUBLIC_BASE_URL = "https://vote.example.test"


@dataclass
class Site:
    url: str
    settings: Settings
    env: dict[str, str]
    figures: dict[str, dict]

    def api(self, path: str) -> dict:
        response = requests.get(self.url + path, timeout=30)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return response.json()


def site_settings(infra: Infra) -> Settings:
    tag = uuid.uuid4().hex[:10]
    s = Settings(kafka_bootstrap=infra.kafka_bootstrap, mongo_uri=infra.mongo_uri, mongo_db=f"test_site_{tag}",
                 topics=Topics(votes=f"votes.v1.{tag}", votes_dlq=f"votes.dlq.{tag}", scores=f"scores.v1.{tag}",
                               ballots=f"ballots.v1.{tag}", comments=f"comments.v1.{tag}"), votes_partitions=3)
    kafka.ensure_topics(s)
    return s


@contextmanager
def running_site(infra: Infra, *, days: int = 61, consumer: bool = True, award: str | None = "2569-Q4",
                 workers: int = 1, **extra: str) -> Iterator[Site]:
    """A campaign of `days` days up to today (Bangkok), then ranking's processes over it."""
    settings = site_settings(infra)
    from services.ranking.store import RankingStore

    env = ranking_env(settings, PUBLIC_BASE_URL=PUBLIC_BASE_URL, RANKING_HEARTBEAT_STALE_S="10", **extra)
    figures = seed_campaign(RankingStore(mongo.database(settings)), load_registry(), formula_from_env(env),
                            bangkok_day(utcnow()), days=days, award=award, now=utcnow())
    try:
        with ExitStack() as stack:
            if consumer:
                stack.enter_context(RankingConsumer(env))
            web = stack.enter_context(ServiceProcess("services.ranking.wsgi:app", env, workers=workers, threads=8))
            site = Site(web.url, settings, env, figures)
            if consumer:  # the consumer's first heartbeat: then the site says nothing about stale data
                wait_until(lambda: requests.get(web.url + "/readyz", timeout=10).status_code == 200, 60,
                           "ranking ready (store and consumer heartbeat)")
                wait_until(lambda: 'id="stale-note"' not in requests.get(web.url + "/", timeout=30).text, 30,
                           "the site to see the consumer's heartbeat")
            yield site
    finally:
        mongo.client(settings.mongo_uri).drop_database(settings.mongo_db)
        delete_topics_tagged(settings.kafka_bootstrap, settings.mongo_db.removeprefix("test_site_"))

"""Shared fixtures. Integration tests get the real servers and their own topics and database."""

from __future__ import annotations

import os
import uuid

import pytest

from shared.config import Settings, Topics
from tests.support.infra import Infra, delete_topics_tagged, real_servers

# Fixtures every LINE test shares: `line_api` (the recording stand-in) and `line_ingest` (ingest talking to it).
pytest_plugins = ["tests.support.line_api"]

# `make run`'s development secrets (Makefile exports, a developer's shell) are not the suite's: every
# test that needs a secret gives its own, and a service started by a test must not read a file under
# var/secrets that a fresh clone does not have.
RUN_SECRETS = ("CHANNEL_KEYS", "VOTER_HMAC_SECRET", "NOTIFY_LINK_SECRET", "CENTRAL_OFFICE_KEYS",
               "LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN")
for _name in RUN_SECRETS:
    os.environ.pop(_name, None)
    os.environ.pop(f"{_name}_FILE", None)


@pytest.fixture(scope="session")
def infra() -> Infra:
    with real_servers() as servers:
        yield servers


@pytest.fixture
def settings(infra: Infra) -> Settings:
    """Fresh topics and a fresh database per test, so tests never see each other's votes."""
    from shared import kafka, mongo

    tag = uuid.uuid4().hex[:10]
    s = Settings(
        kafka_bootstrap=infra.kafka_bootstrap,
        mongo_uri=infra.mongo_uri,
        mongo_db=f"test_{tag}",
        topics=Topics(votes=f"votes.v1.{tag}", votes_dlq=f"votes.dlq.{tag}", scores=f"scores.v1.{tag}",
                      ballots=f"ballots.v1.{tag}",
                      comments=f"comments.v1.{tag}", stories=f"stories.v1.{tag}",
                      stories_published=f"stories.published.v1.{tag}",
                      stories_decisions=f"stories.decisions.v1.{tag}"),
        votes_partitions=3,
    )
    kafka.ensure_topics(s)
    yield s
    mongo.client(s.mongo_uri).drop_database(s.mongo_db)
    delete_topics_tagged(s.kafka_bootstrap, tag)


def pytest_collection_modifyitems(items):
    for item in items:
        if "integration" in item.nodeid.split("/"):
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def tag() -> str:
    return uuid.uuid4().hex[:8]



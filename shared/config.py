"""Configuration from the environment, read once at start (twelve-factor style)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.flags import FlagSettings


class MissingSetting(SystemExit):
    """A process started without a setting it needs (or with one it cannot read): every service's bootstrap
    stops with this one error, whose message names the environment variable to set.

    A SystemExit, so a process (gunicorn worker, consumer, CLI) ends with that one line on stderr and exit
    status 1, not a traceback the operator has to read for the variable's name.
    """

    def __init__(self, name: str, why: str):
        super().__init__(f"missing setting {name}: {why}")
        self.name = name


def require(value: str | None, name: str, why: str) -> str:
    """`value`, which the setting `name` gave, or MissingSetting when it is empty."""
    if not value:
        raise MissingSetting(name, why)
    return value


@dataclass(frozen=True)
class Topics:
    votes: str = "votes.v1"
    votes_dlq: str = "votes.dlq"
    scores: str = "scores.v1"
    comments: str = "comments.v1"
    ballots: str = "ballots.v1"  # scoring's decided votes: what every other reader follows
    stories: str = "stories.v1"  # stories of service with consent (ingest), issue 21
    stories_published: str = "stories.published.v1"  # what the public may see of them (notify), compacted
    stories_decisions: str = "stories.decisions.v1"  # the centre's moderation decisions (notify), kept a campaign year


@dataclass(frozen=True)
class Settings:
    kafka_bootstrap: str = "127.0.0.1:9092"
    mongo_uri: str = "mongodb://127.0.0.1:27017/"
    mongo_db: str = "sangsuk"
    topics: Topics = field(default_factory=Topics)
    # Partition counts are explicit: votes are keyed by district, so this bounds consumer parallelism.
    votes_partitions: int = 12
    replication_factor: int = 1
    # How clients reach the broker: PLAINTEXT (the local servers) or SSL with a client certificate
    # (Strimzi's TLS listener with a KafkaUser per service: deploy/k8s, docs/kubernetes.md).
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_ssl_cafile: str | None = None
    kafka_ssl_certfile: str | None = None
    kafka_ssl_keyfile: str | None = None
    size_groups_csv: str | None = None
    log_level: str = "INFO"
    # Eligibility for a rank needs votes from at least this many distinct sources in the window (a source:
    # a hashed voter on qr/web/line/facebook, an API key on kiosk/import). Scoring counts sources up to it
    # and ranking requires it, so both read this one setting (docs/ranking.md, "Eligibility").
    min_sources: int = 5
    # The flag rules' caps (FLAG_*): scoring applies them, and every replay of the log reads the same ones.
    flags: FlagSettings = field(default_factory=FlagSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        topics = Topics(
            votes=env.get("TOPIC_VOTES", Topics.votes),
            votes_dlq=env.get("TOPIC_VOTES_DLQ", Topics.votes_dlq),
            scores=env.get("TOPIC_SCORES", Topics.scores),
            comments=env.get("TOPIC_COMMENTS", Topics.comments),
            ballots=env.get("TOPIC_BALLOTS", Topics.ballots),
            stories=env.get("TOPIC_STORIES", Topics.stories),
            stories_published=env.get("TOPIC_STORIES_PUBLISHED", Topics.stories_published),
            stories_decisions=env.get("TOPIC_STORIES_DECISIONS", Topics.stories_decisions),
        )
        return cls(
            kafka_bootstrap=env.get("KAFKA_BOOTSTRAP", cls.kafka_bootstrap),
            mongo_uri=env.get("MONGO_URI", cls.mongo_uri),
            mongo_db=env.get("MONGO_DB", cls.mongo_db),
            topics=topics,
            votes_partitions=int(env.get("VOTES_PARTITIONS", cls.votes_partitions)),
            replication_factor=int(env.get("KAFKA_REPLICATION_FACTOR", cls.replication_factor)),
            kafka_security_protocol=env.get("KAFKA_SECURITY_PROTOCOL", cls.kafka_security_protocol).upper(),
            kafka_ssl_cafile=env.get("KAFKA_SSL_CAFILE") or None,
            kafka_ssl_certfile=env.get("KAFKA_SSL_CERTFILE") or None,
            kafka_ssl_keyfile=env.get("KAFKA_SSL_KEYFILE") or None,
            size_groups_csv=env.get("SIZE_GROUPS_CSV") or None,
            log_level=env.get("LOG_LEVEL", cls.log_level),
            min_sources=_min_sources(env.get("MIN_SOURCES")),
            flags=FlagSettings.from_env(env),
        )


def _min_sources(text: str | None) -> int:
    """MIN_SOURCES: a whole number ≥ 1 (1 turns the rule off: every counted vote has a source)."""
    if text is None or not text.strip():
        return Settings.min_sources
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise MissingSetting("MIN_SOURCES", f"must be a whole number ≥ 1, not {text!r}")
    return value


def env_int(name: str, default: int, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    return int(env.get(name, default))


def env_float(name: str, default: float, env: Mapping[str, str] | None = None) -> float:
    env = os.environ if env is None else env
    return float(env.get(name, default))

"""Kafka adapters: topic creation, a producer that waits for acknowledgement, consumers."""

from __future__ import annotations

import contextlib
import functools
import logging
import os

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError
from kafka.partitioner.default import DefaultPartitioner, murmur2

from shared.config import Settings
from shared.manifest import TopicSpec, platform_topics

log = logging.getLogger(__name__)


__all__ = ["TopicSpec", "client_security", "ensure_topics", "make_consumer", "make_producer"]

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL")


def client_security(settings: Settings) -> dict[str, str]:
    """The client settings every Kafka client of the platform adds (producers, consumers, admin, CLI readers).

    SSL: TLS to the broker, authenticated by a client certificate (a Strimzi KafkaUser's user.crt/user.key,
    checked against the cluster CA in ca.crt); the broker's ACLs then hold each service to its topics."""
    protocol = settings.kafka_security_protocol
    if protocol not in SECURITY_PROTOCOLS:
        raise ValueError(f"KAFKA_SECURITY_PROTOCOL={protocol!r}: use one of {', '.join(SECURITY_PROTOCOLS)}")
    if protocol == "PLAINTEXT":
        return {}
    files = {"ssl_cafile": settings.kafka_ssl_cafile, "ssl_certfile": settings.kafka_ssl_certfile,
             "ssl_keyfile": settings.kafka_ssl_keyfile}
    missing = [f"KAFKA_{name.upper()}" for name, path in files.items() if not path]
    if missing:
        raise ValueError(f"KAFKA_SECURITY_PROTOCOL=SSL needs {', '.join(missing)}")
    return {"security_protocol": "SSL", **{name: str(path) for name, path in files.items()}}


def ensure_topics(settings: Settings, specs: list[TopicSpec] | None = None) -> list[str]:
    """Create missing topics (default: every service's, from the manifests); returns the names created.
    Safe to run at every start."""
    specs = platform_topics(settings) if specs is None else specs
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, client_id="sangsuk-admin",
                             **client_security(settings))
    try:
        existing = set(admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            new = [NewTopic(s.name, s.partitions, settings.replication_factor, topic_configs=s.config)
                   for s in missing]
            with contextlib.suppress(TopicAlreadyExistsError):  # another process won the race
                admin.create_topics(new)
        return [s.name for s in missing]
    finally:
        admin.close()


@functools.lru_cache(maxsize=4096)
def _key_hash(key: bytes) -> int:
    return murmur2(key) & 0x7FFFFFFF


class MemoisedPartitioner(DefaultPartitioner):
    """Kafka's default murmur2 partitioning, with the hash memoised: keys are the 878 district codes,
    and kafka-python's pure-Python murmur2 was a measurable share of each send."""

    def partition(self, topic, key, serialized_key, value, serialized_value, cluster):
        if serialized_key is None:
            return super().partition(topic, key, serialized_key, value, serialized_value, cluster)
        all_partitions = sorted(cluster.partitions_for_topic(topic))
        return all_partitions[_key_hash(serialized_key) % len(all_partitions)]


def make_producer(settings: Settings, *, client_id: str, publish_timeout_s: float = 5.0,
                  **overrides) -> KafkaProducer:
    """acks=all with the idempotent producer (kafka-python 3 defaults, stated here on purpose).

    delivery_timeout_ms bounds how long a record may wait, so by the time a caller gives up on a
    future the producer has given up on the record too, and a vote answered 503 is not sent later.
    """
    timeout_ms = int(publish_timeout_s * 1000)
    config = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": int(os.environ.get("KAFKA_LINGER_MS", "2")),
        "compression_type": None,
        "max_block_ms": min(timeout_ms, 3000),
        "request_timeout_ms": max(timeout_ms - 500, 1000),
        "delivery_timeout_ms": timeout_ms,
        "retry_backoff_ms": 100,
        "partitioner": MemoisedPartitioner(),
        # kafka-python's own sensors are read by nothing here (Prometheus counts what matters) and were ~6 % of
        # a kiosk vote's sampled CPU (issue 24: `Sensor.record` per message in the sender thread).
        "metrics_enabled": False,
        **client_security(settings),
    }
    config.update(overrides)
    return KafkaProducer(**config)


def make_consumer(settings: Settings, *topics: str, group_id: str | None, client_id: str,
                  **overrides) -> KafkaConsumer:
    """Manual commits only: a consumer commits an offset after the store holds its effect."""
    config = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "group_id": group_id,
        "client_id": client_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "max_poll_records": 2000,
        "isolation_level": "read_committed",
        **client_security(settings),
    }
    config.update(overrides)
    return KafkaConsumer(*topics, **config)


def kafka_reachable(settings: Settings, timeout_s: float = 2.0) -> bool:
    try:
        admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, client_id="sangsuk-ready",
                                 request_timeout_ms=int(timeout_s * 1000),
                                 bootstrap_timeout_ms=int(timeout_s * 1000), **client_security(settings))
    except Exception:
        return False
    try:
        admin.describe_cluster()
        return True
    except Exception:
        return False
    finally:
        admin.close()

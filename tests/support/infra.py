"""The real Kafka broker and document server for integration tests.

testcontainers when a Docker engine answers; otherwise the local servers of deploy/local
(Kafka from Maven Central, FerretDB built from the Go module proxy on a PostgreSQL cluster of
its own), started when not running.
TEST_KAFKA_BOOTSTRAP / TEST_MONGO_URI point the suite at servers of your own (e.g. real MongoDB).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def local_servers():
    """deploy/local/servers.py as a module (it is a stdlib script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("sangsuk_local_servers", ROOT / "deploy/local/servers.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Infra:
    kafka_bootstrap: str
    mongo_uri: str
    kind: str
    # FerretDB's PostgreSQL database (local servers only): tests look at the SQL the store runs.
    pg_url: str | None = None


def docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@contextmanager
def real_servers() -> Iterator[Infra]:
    kafka = os.environ.get("TEST_KAFKA_BOOTSTRAP")
    mongo_uri = os.environ.get("TEST_MONGO_URI")
    if kafka and mongo_uri:
        yield Infra(kafka, mongo_uri, "external")
    elif docker_answers():
        from testcontainers.kafka import KafkaContainer
        from testcontainers.mongodb import MongoDbContainer

        with KafkaContainer().with_kraft() as k, MongoDbContainer("mongo:7.0") as m:
            yield Infra(k.get_bootstrap_server(), m.get_connection_url(), "testcontainers")
    else:
        servers = local_servers()
        profile = servers.profile("test")
        started = any(servers.running_pid(profile, name) is None for name in ("kafka", "ferretdb", "postgresql"))
        servers.start(profile)
        try:
            yield Infra(profile.kafka_bootstrap, profile.mongo_uri, "local", profile.pg_url)
        finally:
            if started and not os.environ.get("SANGSUK_KEEP_SERVERS"):
                servers.stop(profile)


def delete_topics_tagged(bootstrap: str, tag: str) -> None:
    """Delete a test's own topics (every name holding its tag) once it is done with them. Left behind, the
    suite's broker grew to thousands of partitions, and a broker restart (test_local_stack_heals.py kills it)
    spent minutes recovering them all before it led a partition again."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="sangsuk-test-cleanup")
    try:
        mine = [name for name in admin.list_topics() if tag in name]
        if mine:
            admin.delete_topics(mine, timeout_ms=30_000)
    except KafkaError:  # a topic already gone, or the broker restarting: what is left only takes space
        pass
    finally:
        admin.close()

"""The cluster's Kafka security, on a real broker: TLS with a client certificate per service and the
ACLs of deploy/k8s/base/kafka-users.yaml, loaded as Strimzi's User Operator would load them.

Each service's own client code (shared/kafka.py's producers, consumers, admin, readiness; ranking's
log reader) connects with KAFKA_SECURITY_PROTOCOL=SSL and does what the service does, and is refused
what it must not do.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import ACL, ACLOperation, ACLPermissionType, ACLResourcePatternType, ResourcePattern, ResourceType
from kafka.errors import GroupAuthorizationFailedError, KafkaError, TopicAuthorizationFailedError

from shared import kafka
from shared.config import Settings
from tests.support.tls_broker import TlsBroker

USERS = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "base" / "kafka-users.yaml"


def _acls(user: dict) -> list[ACL]:
    """A KafkaUser's ACLs as the broker holds them (principal User:CN=<name>, as Strimzi sets it)."""
    out = []
    for acl in user["spec"]["authorization"]["acls"]:
        kind = ResourceType[acl["resource"]["type"].upper()]
        name = "kafka-cluster" if kind is ResourceType.CLUSTER else acl["resource"]["name"]
        pattern = ResourcePattern(kind, name, ACLResourcePatternType[acl["resource"].get("patternType", "literal")
                                                                      .upper()])
        for operation in acl["operations"]:
            op = ACLOperation[re.sub(r"(?<!^)(?=[A-Z])", "_", operation).upper()]
            out.append(ACL(f"User:CN={user['metadata']['name']}", acl.get("host", "*"), op,
                           ACLPermissionType.ALLOW, pattern))
    return out


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    tls = TlsBroker(tmp_path_factory.mktemp("tls-kafka")).start()
    try:
        users = [u for u in yaml.safe_load_all(USERS.read_text()) if u and u["kind"] == "KafkaUser"]
        admin = KafkaAdminClient(bootstrap_servers=tls.admin_bootstrap)
        try:
            result = admin.create_acls([acl for user in users for acl in _acls(user)])
            assert not result["failed"], result["failed"]
        finally:
            admin.close()
        tls.settings = {u["metadata"]["name"]: Settings.from_env({
            "KAFKA_BOOTSTRAP": tls.ssl_bootstrap, "KAFKA_REPLICATION_FACTOR": "1",
            **tls.issue(u["metadata"]["name"])}) for u in users}
        tls.settings["stranger"] = Settings.from_env({"KAFKA_BOOTSTRAP": tls.ssl_bootstrap, **tls.issue("stranger")})
        yield tls
    finally:
        tls.stop()


@pytest.fixture(scope="module")
def topics(broker):
    """`sangsuk init`'s topic step, as the init Job runs it: as kafka-init, over TLS."""
    settings = broker.settings["kafka-init"]
    created = kafka.ensure_topics(settings)
    return settings.topics, created


def _poll_one(consumer: KafkaConsumer, timeout_s: float = 60) -> list:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        batch = consumer.poll(timeout_ms=1000)
        if batch:
            return [record for records in batch.values() for record in records]
    raise AssertionError("nothing consumed")


def test_the_init_job_user_creates_every_platform_topic_once(broker, topics):
    names, created = topics
    assert sorted(created) == sorted([names.votes, names.comments, names.scores, names.ballots, names.votes_dlq,
                                      names.stories, names.stories_published, names.stories_decisions])
    assert kafka.ensure_topics(broker.settings["kafka-init"]) == []


def test_ingest_writes_votes_and_comments_and_nothing_else(broker, topics):
    names, _ = topics
    settings = broker.settings["kafka-ingest"]
    assert kafka.kafka_reachable(settings, timeout_s=10)  # its /readyz
    producer = kafka.make_producer(settings, client_id="ingest", publish_timeout_s=20)
    try:
        producer.send(names.votes, key=b"3706", value=b'{"score": 5}').get(timeout=30)
        producer.send(names.comments, key=b"3706", value=b'{"comment": "ok"}').get(timeout=30)
        with pytest.raises(KafkaError) as refused:
            producer.send(names.scores, key=b"3706", value=b"{}").get(timeout=30)
        assert isinstance(refused.value, TopicAuthorizationFailedError) or "uthoriz" in repr(refused.value)
    finally:
        producer.close(timeout=5)


def test_scoring_starts_reads_its_group_commits_and_writes_scores(broker, topics):
    names, _ = topics
    settings = broker.settings["kafka-scoring"]
    assert kafka.ensure_topics(settings) == []  # a consumer's start: lists the topics, creates none
    producer = kafka.make_producer(settings, client_id="scoring", publish_timeout_s=20)
    consumer = kafka.make_consumer(settings, names.votes, group_id="scoring", client_id="scoring-test")
    try:
        records = _poll_one(consumer)
        assert records[0].key == b"3706"
        consumer.commit()
        producer.send(names.scores, key=b"3706", value=b"{}").get(timeout=30)
        producer.send(names.ballots, key=b"3706", value=b"{}").get(timeout=30)  # its decisions, same checkpoint
        producer.send(names.votes_dlq, key=b"3706", value=b"{}").get(timeout=30)
    finally:
        consumer.close(autocommit=False)
        producer.close(timeout=5)


def test_notify_and_ranking_get_a_producer_id_and_read_their_own_topics_only(broker, topics):
    """Their consumer processes hold an idempotent producer that asks for a producer id at once
    (IdempotentWrite on the cluster); they read in their own group and not in another's."""
    names, _ = topics
    for user, topic, group in (("kafka-notify", names.ballots, "notify"), ("kafka-ranking", names.scores, "ranking")):
        settings = broker.settings[user]
        producer = kafka.make_producer(settings, client_id=group, publish_timeout_s=20)
        consumer = kafka.make_consumer(settings, topic, group_id=group, client_id=f"{group}-test")
        try:
            deadline = time.monotonic() + 30
            while not producer._transaction_manager.has_producer_id() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert producer._transaction_manager.has_producer_id(), user
            assert _poll_one(consumer), user
        finally:
            consumer.close(autocommit=False)
            producer.close(timeout=5)
        intruder = kafka.make_consumer(settings, names.votes, group_id="scoring", client_id="intruder")
        try:
            with pytest.raises(GroupAuthorizationFailedError):
                for _ in range(30):
                    intruder.poll(timeout_ms=1000)
        finally:
            intruder.close(autocommit=False)


def test_ranking_reads_the_votes_log_without_a_group(broker, topics):
    from services.ranking.replay import end_offsets

    names, _ = topics
    ends = end_offsets(broker.settings["kafka-ranking"], names.votes)
    assert sum(ends.values()) >= 1


def test_ranking_reads_the_ballots_log_and_scorings_offsets_for_an_award(broker, topics):
    """An award's close folds ballots.v1 with no group and reports how far group scoring had committed votes.v1
    (Describe on the group: it reads the offsets, and still cannot join the group, see the test above)."""
    from services.ranking.coverage import committed_offsets
    from services.ranking.replay import end_offsets, read_ballots_log

    names, _ = topics
    settings = broker.settings["kafka-ranking"]
    ends = end_offsets(settings, names.ballots)
    assert sum(ends.values()) >= 1  # scoring's record from the test above
    tallies = read_ballots_log(settings, names.ballots, ends, ["3706"], progress=False)
    assert tallies.unreadable == sum(ends.values())  # read (not refused by the broker): the test above wrote "{}"
    deadline = time.monotonic() + 30
    committed = {}
    while not committed and time.monotonic() < deadline:
        committed = committed_offsets(settings, "scoring", names.votes)
        assert not isinstance(committed, str), committed
        time.sleep(0.5)
    assert sum(committed.values()) >= 1
    assert isinstance(committed_offsets(broker.settings["stranger"], "scoring", names.votes), str)


def test_keda_reads_the_groups_offsets_and_the_topics_ends(broker, topics):
    names, _ = topics
    settings = broker.settings["kafka-keda"]
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, **kafka.client_security(settings))
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None,
                             **kafka.client_security(settings))
    try:
        deadline = time.monotonic() + 30
        committed = {}
        while not committed and time.monotonic() < deadline:  # scoring's commit from the test above
            committed = admin.list_group_offsets({"scoring": None}).get("scoring", {})
            time.sleep(0.5)
        assert any(tp.topic == names.votes for tp in committed)
        partitions = [TopicPartition(names.votes, p) for p in consumer.partitions_for_topic(names.votes)]
        assert sum(consumer.end_offsets(partitions).values()) >= 1
    finally:
        consumer.close()
        admin.close()


def test_notify_logs_the_centres_decisions_and_its_stories_rebuild_reads_the_three_topics(broker, topics):
    """The centre's web process writes stories.decisions.v1 and stories.published.v1; `sangsuk stories
    rebuild` reads stories.v1, the decisions and the public copy with no group (shared/stream/log_reader.py)."""
    from shared.stream.log_reader import end_offsets as log_ends
    from shared.stream.log_reader import read_log

    names, _ = topics
    settings = broker.settings["kafka-notify"]
    story = b"a" * 32
    ingest = kafka.make_producer(broker.settings["kafka-ingest"], client_id="ingest", publish_timeout_s=20)
    notify = kafka.make_producer(settings, client_id="notify-stories", publish_timeout_s=20)
    try:
        ingest.send(names.stories, key=story, value=b"{}").get(timeout=30)
        notify.send(names.stories_decisions, key=story, value=b"{}").get(timeout=30)
        notify.send(names.stories_published, key=story, value=b"{}").get(timeout=30)
        with pytest.raises(KafkaError):
            notify.send(names.stories, key=story, value=b"{}").get(timeout=30)  # only ingest tells stories
    finally:
        ingest.close(timeout=5)
        notify.close(timeout=5)
    ends = log_ends(settings, [names.stories, names.stories_decisions, names.stories_published])
    seen: list = []
    assert read_log(settings, ends, seen.extend, whole=False, stall_s=30) == 3
    assert sorted(r.topic for r in seen) == sorted([names.stories, names.stories_decisions, names.stories_published])


def test_a_certificate_without_acls_gets_nothing(broker, topics):
    names, _ = topics
    producer = kafka.make_producer(broker.settings["stranger"], client_id="stranger", publish_timeout_s=10)
    try:
        with pytest.raises(KafkaError):
            producer.send(names.votes, key=b"3706", value=b"{}").get(timeout=20)
    finally:
        producer.close(timeout=5)

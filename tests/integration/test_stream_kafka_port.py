"""The runtime's Kafka adapter on the real broker: a fresh member joins once and fetches; the backlog the
stall check relies on.

The loop (tests/unit/test_stream_loop.py) stops a consumer whose polls return nothing while
`backlog()` says records wait; here that figure is checked against what the broker really holds:
right before anything is read, after part of it, with a partition paused, and once all is read.
"""

from __future__ import annotations

import time

from shared import kafka
from shared.stream.kafka_port import KafkaConsumerPort
from shared.stream.ports import TopicPartition
from tests.support.scoring import producer


def _port(settings, group: str) -> KafkaConsumerPort:
    consumer = kafka.make_consumer(settings, group_id=group, client_id="backlog-test", max_poll_records=10)
    return KafkaConsumerPort(consumer)


def _until_assigned(port: KafkaConsumerPort, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not port.assignment():
        assert time.monotonic() < deadline, "never assigned"
        port.poll(0, 1)  # joins the group; max_records=1 keeps what it may return small
    port.consumer.seek_to_beginning()  # whatever that first poll returned is waiting again


def test_backlog_is_what_the_broker_holds_past_our_positions_on_unpaused_partitions(settings, tag):
    topic = settings.topics.votes
    p = producer(settings)
    sent = {0: 7, 1: 3, 2: 0}
    for partition, count in sent.items():
        for i in range(count):
            p.send(topic, value=f"{partition}-{i}".encode(), partition=partition)
    p.flush()
    p.close()
    port = _port(settings, f"backlog-{tag}")
    try:
        port.subscribe([topic], on_assigned=lambda a: None, on_revoked=lambda a: None)
        _until_assigned(port)
        tps = [TopicPartition(topic, n) for n in sent]
        # Back at the beginning (the reset still pending): everything each partition holds is waiting.
        assert port.backlog() == dict(zip(tps, sent.values(), strict=True))

        read: dict[int, int] = {0: 0, 1: 0, 2: 0}
        for r in port.poll(5000, 4):
            read[r.partition] += 1
        assert sum(read.values()) > 0
        assert port.backlog() == {tp: sent[tp.partition] - read[tp.partition] for tp in tps}

        port.pause([tps[0]])  # paused is waiting by our choice, not stalled: not counted
        assert tps[0] not in port.backlog()
        port.resume([tps[0]])

        deadline = time.monotonic() + 60
        while sum(read.values()) < sum(sent.values()):
            assert time.monotonic() < deadline, f"read {read} of {sent}"
            for r in port.poll(1000, 10):
                read[r.partition] += 1
        assert port.backlog() == {tp: 0 for tp in tps}
    finally:
        port.close()


def test_a_fresh_member_is_assigned_once_and_fetches_no_second_rebalance(settings, tag):
    """The trigger of bench-scoring's hang: a leader whose first assignment was made before its metadata
    snapshot knew the topics rejoins at once, and kafka-python 3.0.12 can lose that second join (every
    partition left pending revocation, never fetched). Subscribing before learning the partitions
    makes the first assignment the only one."""
    topic = settings.topics.votes
    p = producer(settings)
    for i in range(30):
        p.send(topic, value=f"v{i}".encode(), partition=i % 3)
    p.flush()
    p.close()
    assigned: list = []
    revoked: list = []
    port = _port(settings, f"join-{tag}")
    try:
        port.subscribe([topic, settings.topics.comments], on_assigned=assigned.append,
                       on_revoked=lambda a: a and revoked.append(a))
        seen = 0
        deadline = time.monotonic() + 60
        while seen < 30:
            assert time.monotonic() < deadline, f"{seen} of 30 records in 60 s; assignments {assigned}"
            seen += len(port.poll(200, 10))  # the scoring consumer's poll in tests and benchmarks
        settle = time.monotonic() + 5  # a second rebalance shows within a few polls of the first
        while time.monotonic() < settle:
            port.poll(200, 10)
        assert len(assigned) == 1 and not revoked, f"assignments {assigned}, revocations {revoked}"
        assert len(assigned[0]) == 2 * settings.votes_partitions  # comments has as many partitions as votes
    finally:
        port.close()

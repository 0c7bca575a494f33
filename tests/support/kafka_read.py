"""Read Kafka back: a whole topic, to check what really reached it; a group's committed offsets."""

from __future__ import annotations

import json
import time

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError


def read_topic(bootstrap: str, topic: str, timeout_s: float = 30.0) -> list[tuple[bytes, dict]]:
    """Every message now in the topic, as (key, JSON value), up to the end offsets seen at the start."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        out: list[tuple[bytes, dict]] = []
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {topic} to its end in {timeout_s}s")
            for records in consumer.poll(timeout_ms=500).values():
                out.extend((r.key, json.loads(r.value)) for r in records)
        return out
    finally:
        consumer.close()


def committed_on(bootstrap: str, group: str, topic: str) -> int:
    """Records of `topic` the group has committed, over its partitions; 0 while its coordinator is still being
    elected (a fresh broker)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        offsets = admin.list_group_offsets(group).get(group, {})
        return sum(o.offset for tp, o in offsets.items() if tp.topic == topic and o.offset > 0)
    except KafkaError:
        return 0
    finally:
        admin.close()

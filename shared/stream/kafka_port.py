"""kafka-python behind the runtime's ports, and `kafka_loop`: the one way a service builds its consumer."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer
from kafka import TopicPartition as KafkaTopicPartition
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata

from shared import kafka
from shared.config import Settings
from shared.stream.config import StreamConfig
from shared.stream.heartbeat import Heartbeat
from shared.stream.loop import ConsumerLoop
from shared.stream.metrics import StreamMetrics
from shared.stream.ports import Assignment, RebalanceCallback, Record, TopicPartition
from shared.stream.processor import Processor
from shared.stream.sink import Sink

# Broker trouble worth waiting out (a flush timing out, a coordinator moving); services add their store's.
TRANSIENT: tuple[type[BaseException], ...] = (KafkaError, TimeoutError)


def _ours(partitions: Iterable[KafkaTopicPartition]) -> Assignment:
    return frozenset(TopicPartition(tp.topic, tp.partition) for tp in partitions)


class _Listener(ConsumerRebalanceListener):
    def __init__(self, on_assigned: RebalanceCallback, on_revoked: RebalanceCallback):
        self.on_assigned = on_assigned
        self.on_revoked = on_revoked

    def on_partitions_revoked(self, revoked) -> None:
        self.on_revoked(_ours(revoked))

    def on_partitions_assigned(self, assigned) -> None:
        self.on_assigned(_ours(assigned))


class KafkaConsumerPort:
    def __init__(self, consumer: KafkaConsumer):
        self.consumer = consumer

    def subscribe(self, topics: list[str], *, on_assigned: RebalanceCallback,
                  on_revoked: RebalanceCallback) -> None:
        # Learn the topics' partitions first: a group leader that joins before its metadata knows the
        # topics assigns nothing ("No partition metadata") and, seen on a fresh bench run, never rejoins.
        for topic in topics:
            self.consumer.partitions_for_topic(topic)
        self.consumer.subscribe(topics, listener=_Listener(on_assigned, on_revoked))

    def poll(self, timeout_ms: int, max_records: int) -> list[Record]:
        batch = self.consumer.poll(timeout_ms=timeout_ms, max_records=max_records)
        return [r for records in batch.values() for r in records]

    def assignment(self) -> Assignment:
        return _ours(self.consumer.assignment())

    def pause(self, partitions: Iterable[TopicPartition]) -> None:
        self.consumer.pause(*(KafkaTopicPartition(*tp) for tp in partitions))

    def resume(self, partitions: Iterable[TopicPartition]) -> None:
        self.consumer.resume(*(KafkaTopicPartition(*tp) for tp in partitions))

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.consumer.seek(KafkaTopicPartition(*partition), offset)

    def commit(self, offsets: Mapping[TopicPartition, int]) -> bool:
        try:
            self.consumer.commit({KafkaTopicPartition(*tp): OffsetAndMetadata(o, "", -1)
                                  for tp, o in offsets.items()})
            return True
        except CommitFailedError:
            return False

    def lag(self) -> dict[TopicPartition, int]:
        out: dict[TopicPartition, int] = {}
        for tp in self.consumer.assignment():
            high = self.consumer.highwater(tp)
            if high is None:
                continue
            try:
                position = self.consumer.position(tp, timeout_ms=100)
            except KafkaError:
                continue
            if position is not None:
                out[TopicPartition(tp.topic, tp.partition)] = max(0, high - position)
        return out

    def close(self) -> None:
        self.consumer.close(autocommit=False)


def kafka_loop(service: str, settings: Settings, config: StreamConfig, *, topics: list[str],
               dlq_topic: str | None, make_processor: Callable[[Sink], Processor[Any]],
               retry_on: tuple[type[BaseException], ...], clock: Callable[[], datetime],
               observe: Callable[[Any], None] = lambda report: None,
               consumer_overrides: Mapping[str, Any] | None = None) -> ConsumerLoop:
    """A service's consumer loop on the real broker: one producer for its sink, one group member."""
    metrics = StreamMetrics(service)
    producer = kafka.make_producer(settings, client_id=service, publish_timeout_s=10.0, linger_ms=5)
    sink = Sink(producer, dlq_topic=dlq_topic, metrics=metrics)
    consumer = kafka.make_consumer(settings, group_id=config.group_id, client_id=f"{service}-{os.getpid()}",
                                   max_poll_records=config.max_batch, **dict(consumer_overrides or {}))
    return ConsumerLoop(KafkaConsumerPort(consumer), make_processor(sink), sink, topics=topics, config=config,
                        heartbeat=Heartbeat(config.state_dir), metrics=metrics,
                        retry_on=(*TRANSIENT, *retry_on), clock=clock, observe=observe)

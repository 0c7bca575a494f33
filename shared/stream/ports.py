"""The runtime's view of Kafka: a record, a consumer and a producer, as small as the loop needs.

`kafka_port.py` adapts kafka-python to these; unit tests use in-memory stand-ins
(`tests/support/fakes.py`), so the loop's guarantees are tested without a broker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple, Protocol


class TopicPartition(NamedTuple):
    """Equal to (and hashed like) kafka-python's TopicPartition, which is the same named tuple."""

    topic: str
    partition: int


class Record(Protocol):
    """A consumed record (kafka-python's ConsumerRecord has these)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


Assignment = frozenset[TopicPartition]
RebalanceCallback = Callable[[Assignment], None]


class ConsumerPort(Protocol):
    def subscribe(self, topics: list[str], *, on_assigned: RebalanceCallback,
                  on_revoked: RebalanceCallback) -> None:
        """Join the group for these topics; the callbacks run inside `poll` when a rebalance happens."""

    def poll(self, timeout_ms: int, max_records: int) -> list[Record]:
        """Records of the unpaused assigned partitions, in offset order per partition."""

    def assignment(self) -> Assignment: ...

    def pause(self, partitions: Iterable[TopicPartition]) -> None: ...

    def resume(self, partitions: Iterable[TopicPartition]) -> None: ...

    def seek(self, partition: TopicPartition, offset: int) -> None: ...

    def commit(self, offsets: Mapping[TopicPartition, int]) -> bool:
        """Commit next-offsets to read; False when the group refused it (we lost the partitions)."""

    def lag(self) -> dict[TopicPartition, int]:
        """Records behind the end, per assigned partition whose end is known."""

    def close(self) -> None:
        """Leave the group without committing."""


class SendResult(Protocol):
    def get(self, timeout: float) -> object:
        """Wait for the acknowledgement; raises if the record was not written."""


class ProducerPort(Protocol):
    """kafka-python's KafkaProducer fits as it is."""

    def send(self, topic: str, value: bytes | None = None, key: bytes | None = None,
             headers: list[tuple[str, bytes]] | None = None) -> SendResult: ...

    def flush(self, timeout: float | None = None) -> None: ...

    def close(self, timeout: float | None = None) -> None: ...

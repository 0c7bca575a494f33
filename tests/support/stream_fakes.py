"""In-memory stand-ins of the stream runtime's ports (shared/stream/ports.py): a consumer group member
and a producer, both writing what matters to ordering into one shared `log`."""

from __future__ import annotations

from dataclasses import dataclass

from shared.stream.ports import TopicPartition


@dataclass
class MemoryRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


class MemoryConsumer:
    """Partition logs, positions, pauses, commits and rebalances.

    A rebalance set by `rebalance()` happens inside the next poll, as in Kafka: revoke, reset every
    assigned partition to its committed offset, unpause, assign.
    """

    def __init__(self, log: list):
        self.log = log
        self.partitions: dict[TopicPartition, list[MemoryRecord]] = {}
        self.assigned: frozenset[TopicPartition] = frozenset()
        self.positions: dict[TopicPartition, int] = {}
        self.committed: dict[TopicPartition, int] = {}
        self.paused: set[TopicPartition] = set()
        self.next_assignment: frozenset[TopicPartition] | None = None
        self.refuse_commits = False
        self.polls = 0
        self.closed = False

    def append(self, topic: str, partition: int, value: bytes, key: bytes | None = None) -> MemoryRecord:
        records = self.partitions.setdefault(TopicPartition(topic, partition), [])
        records.append(MemoryRecord(topic, partition, len(records), key, value))
        return records[-1]

    def rebalance(self, assignment) -> None:
        self.next_assignment = frozenset(TopicPartition(*tp) for tp in assignment)

    def subscribe(self, topics, *, on_assigned, on_revoked) -> None:
        self.on_assigned, self.on_revoked = on_assigned, on_revoked
        if self.next_assignment is None:
            self.rebalance(tp for tp in self.partitions if tp.topic in topics)

    def poll(self, timeout_ms: int, max_records: int) -> list[MemoryRecord]:
        self.polls += 1
        if self.next_assignment is not None:
            self.on_revoked(self.assigned)
            self.assigned, self.next_assignment = self.next_assignment, None
            self.positions = {tp: self.committed.get(tp, 0) for tp in self.assigned}
            self.paused = set()
            self.log.append(("assigned", self.assigned))
            self.on_assigned(self.assigned)
        out: list[MemoryRecord] = []
        for tp in sorted(self.assigned - self.paused):
            taken = self.partitions.get(tp, [])[self.positions[tp]:][:max_records - len(out)]
            self.positions[tp] += len(taken)
            out.extend(taken)
        return out

    def assignment(self) -> frozenset[TopicPartition]:
        return self.assigned

    def pause(self, partitions) -> None:
        self.paused |= set(partitions)
        self.log.append("pause")

    def resume(self, partitions) -> None:
        self.paused -= set(partitions)
        self.log.append("resume")

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.positions[partition] = offset

    def commit(self, offsets) -> bool:
        if self.refuse_commits:
            return False
        self.committed.update(offsets)
        self.log.append(("commit", dict(offsets)))
        return True

    def lag(self) -> dict[TopicPartition, int]:
        return {tp: len(self.partitions.get(tp, [])) - self.positions[tp] for tp in self.assigned}

    def close(self) -> None:
        self.closed = True


class _Ack:
    def get(self, timeout: float) -> None:
        return None


class MemoryProducer:
    """Records sends; `fail_flushes = n` makes the next n flushes fail as if Kafka did not acknowledge."""

    def __init__(self, log: list):
        self.log = log
        self.sent: list[tuple[str, bytes | None, bytes | None, list | None]] = []
        self.fail_flushes = 0
        self.closed = False

    def send(self, topic: str, value: bytes | None = None, key: bytes | None = None, headers=None) -> _Ack:
        self.sent.append((topic, key, value, headers))
        self.log.append(("send", topic, value))
        return _Ack()

    def flush(self, timeout: float | None = None) -> None:
        if self.fail_flushes:
            self.fail_flushes -= 1
            self.log.append("flush failed")
            raise TimeoutError("no acknowledgement from the broker")
        self.log.append("flush")

    def close(self, timeout: float | None = None) -> None:
        self.closed = True

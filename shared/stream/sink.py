"""Where a processor's output goes: events and dead letters through one producer, waited for at the checkpoint.

Sends do not wait (the producer batches them while the processor keeps working); `flush` waits for
every acknowledgement and raises if any record was not written, so the checkpoint commits no offset
whose output might be missing.
"""

from __future__ import annotations

from shared.stream.metrics import StreamMetrics
from shared.stream.ports import ProducerPort, Record, SendResult


class Sink:
    def __init__(self, producer: ProducerPort, *, dlq_topic: str | None, metrics: StreamMetrics):
        self.producer = producer
        self.dlq_topic = dlq_topic
        self.metrics = metrics
        self._pending: list[SendResult] = []

    def send(self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]] | None = None) -> None:
        self._pending.append(self.producer.send(topic, value=value, key=key, headers=headers))

    def dead_letter(self, record: Record, reason: str) -> None:
        """The original bytes, with why and where they came from in headers; the batch goes on."""
        if self.dlq_topic is None:
            raise RuntimeError("this service has no dead-letter topic")
        headers = [("reason", reason.encode("utf-8")), ("source_topic", record.topic.encode()),
                   ("source_partition", str(record.partition).encode()),
                   ("source_offset", str(record.offset).encode())]
        self.send(self.dlq_topic, getattr(record, "key", None), record.value or b"", headers)
        self.metrics.dead_letter(record.topic)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def flush(self, timeout_s: float) -> None:
        """Wait for every acknowledgement; raises if any send failed (the caller must not commit)."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        self.producer.flush(timeout=timeout_s)
        for result in pending:
            result.get(timeout=timeout_s)

    def abandon(self) -> None:
        """Forget what a failed attempt sent: the attempt is redone and sends it again (at-least-once)."""
        self._pending = []

    def close(self) -> None:
        self.producer.close(timeout=5)

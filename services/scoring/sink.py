"""Where the handler's output goes: scores.v1 events and dead letters, both through one Kafka producer."""

from __future__ import annotations

from kafka import KafkaProducer

from services.scoring import metrics
from services.scoring.handler import Message
from shared.events import scores_event_bytes
from shared.timeutil import utcnow


class KafkaSink:
    """Sends without waiting; `flush` waits for every acknowledgement before offsets are committed."""

    def __init__(self, producer: KafkaProducer, scores_topic: str, dlq_topic: str):
        self.producer = producer
        self.scores_topic = scores_topic
        self.dlq_topic = dlq_topic
        self._futures: list = []

    def dead_letter(self, message: Message, reason: str) -> None:
        headers = [("reason", reason.encode("utf-8")), ("source_topic", message.topic.encode()),
                   ("source_partition", str(message.partition).encode()),
                   ("source_offset", str(message.offset).encode())]
        key = getattr(message, "key", None)
        self._futures.append(self.producer.send(self.dlq_topic, key=key, value=message.value or b"",
                                                headers=headers))
        metrics.DLQ_MESSAGES.labels(message.topic).inc()

    def publish_standings(self, standings: list[dict]) -> None:
        now = utcnow()
        for standing in standings:
            self._futures.append(self.producer.send(self.scores_topic, key=standing["district_code"].encode(),
                                                    value=scores_event_bytes(standing, now)))
        metrics.SCORES_PUBLISHED.inc(len(standings))

    def flush(self, timeout_s: float = 30.0) -> None:
        """Raises if any send failed: the batch is then not committed and will be redone."""
        futures, self._futures = self._futures, []
        self.producer.flush(timeout=timeout_s)
        for future in futures:
            future.get(timeout=timeout_s)

"""Publishes keyed events (votes, comments) to Kafka and waits for the broker's acknowledgement (acks=all)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from kafka import KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError

from services.ingest import metrics

log = logging.getLogger(__name__)


class KeyedEvent(Protocol):
    @property
    def key(self) -> bytes: ...

    def to_bytes(self) -> bytes: ...


class EventPublisher(Protocol):
    def publish(self, events: Sequence[KeyedEvent]) -> list[Exception | None]:
        """Publish all; per event None once Kafka acknowledged it, else the error."""


class KafkaEventPublisher:
    """One producer per process, created after gunicorn forks (a producer must not cross a fork)."""

    def __init__(self, make_producer: Callable[[], KafkaProducer], topic: str, timeout_s: float,
                 *, event: str = "vote"):
        self._make_producer = make_producer
        self.event = event  # the metrics label: votes and comments share one producer
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()
        self.topic = topic
        self.timeout_s = timeout_s

    @property
    def producer(self) -> KafkaProducer:
        with self._lock:
            if self._producer is None:
                self._producer = self._make_producer()
            return self._producer

    def publish(self, events: Sequence[KeyedEvent]) -> list[Exception | None]:
        started = time.perf_counter()
        results: list[Exception | None] = [None] * len(events)
        futures = []
        try:
            producer = self.producer
        except KafkaError as exc:  # no broker at all when the producer starts
            log.warning("kafka producer unavailable", extra={"error": repr(exc)})
            metrics.KAFKA_PUBLISH_FAILURES.labels(self.event, type(exc).__name__).inc(len(events))
            return [exc] * len(events)
        for i, event in enumerate(events):
            try:
                futures.append((i, producer.send(self.topic, key=event.key, value=event.to_bytes())))
            except KafkaTimeoutError as exc:
                # No metadata within max_block_ms: the broker is away; do not wait again for the rest.
                for j in range(i, len(events)):
                    results[j] = exc
                break
            except Exception as exc:  # one bad event must not stop the others
                results[i] = exc
        deadline = time.monotonic() + self.timeout_s + 1.0
        for i, future in futures:
            try:
                future.get(timeout=max(0.01, deadline - time.monotonic()))
            except (KafkaError, TimeoutError) as exc:
                results[i] = exc
        failures = [r for r in results if r is not None]
        for exc in failures:
            metrics.KAFKA_PUBLISH_FAILURES.labels(self.event, type(exc).__name__).inc()
        if failures:
            log.warning("kafka publish failed", extra={"failed": len(failures), "total": len(events),
                                                      "error": repr(failures[0])})
        metrics.KAFKA_PUBLISH_LATENCY.labels(self.event).observe(time.perf_counter() - started)
        return results

    def close(self) -> None:
        with self._lock:
            if self._producer is not None:
                self._producer.close(timeout=self.timeout_s)
                self._producer = None

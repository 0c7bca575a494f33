"""The web process's one writer of stories.published.v1: an approval (or a rejection that takes a story
out of public) is published and acknowledged before the centre is told it is done."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kafka import KafkaProducer
from kafka.errors import KafkaError

from shared.events import PublishedStoryEvent

log = logging.getLogger(__name__)


class PublishFailed(Exception):
    pass


class PublishedStories:
    """One producer per process, made on first use (after gunicorn forks)."""

    def __init__(self, make_producer: Callable[[], KafkaProducer], topic: str, timeout_s: float = 10.0):
        self._make = make_producer
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()
        self.topic = topic
        self.timeout_s = timeout_s

    def publish(self, event: PublishedStoryEvent) -> None:
        try:
            with self._lock:
                if self._producer is None:
                    self._producer = self._make()
                producer = self._producer
            producer.send(self.topic, key=event.key, value=event.to_bytes()).get(timeout=self.timeout_s)
        except (KafkaError, TimeoutError) as exc:
            log.warning("story publication failed", extra={"error": type(exc).__name__, "status": event.status})
            raise PublishFailed(type(exc).__name__) from exc

"""The web process's one writer of the stories' topics: each decision of the centre to stories.decisions.v1
(acknowledged before it is applied), and what the public may see to stories.published.v1 (acknowledged
before the store says it is out)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kafka import KafkaProducer
from kafka.errors import KafkaError

from shared.events import PublishedStoryEvent, StoryDecisionEvent

log = logging.getLogger(__name__)


class PublishFailed(Exception):
    pass


class StoryProducer:
    """One producer per process, made on first use (after gunicorn forks), for both topics."""

    def __init__(self, make_producer: Callable[[], KafkaProducer], timeout_s: float = 10.0):
        self._make = make_producer
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()
        self.timeout_s = timeout_s

    def publish(self, topic: str, event: PublishedStoryEvent | StoryDecisionEvent) -> None:
        """Returns once the broker acknowledged the record (acks=all); PublishFailed otherwise."""
        try:
            with self._lock:
                if self._producer is None:
                    self._producer = self._make()
                producer = self._producer
            producer.send(topic, key=event.key, value=event.to_bytes()).get(timeout=self.timeout_s)
        except (KafkaError, TimeoutError) as exc:
            what = getattr(event, "status", None) or getattr(event, "action", "")
            log.warning("story record not acknowledged", extra={"error": type(exc).__name__, "topic": topic,
                                                                 "what": what})
            raise PublishFailed(type(exc).__name__) from exc

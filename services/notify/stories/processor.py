"""stories.v1 into the moderation store; a withdrawal also goes straight to stories.published.v1.

Run inside notify's consumer (services/notify/processor.py hands it the batch's stories.v1 records), so
a withdrawn story leaves every public place as soon as the batch is committed: the published topic's
record is acknowledged by Kafka before the stories.v1 offset is (shared/stream/checkpoint.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from services.notify.stories.moderation import withdrawn
from services.notify.stories.store import StoryStore
from shared.events import STORY_TOLD, EventError, StoryEvent, decode

log = logging.getLogger(__name__)


class StoriesProcessor:
    def __init__(self, store: StoryStore, send: Callable[[str, bytes, bytes], None], published_topic: str,
                 clock: Callable[[], datetime]):
        self.store = store
        self.send = send  # the consumer's sink: acknowledged before the offsets are committed
        self.published_topic = published_topic
        self.clock = clock

    def handle(self, values: Iterable[bytes | None]) -> tuple[int, int]:
        """(stories read, records refused). Safe to repeat: the store's writes are idempotent."""
        read = refused = 0
        for raw in values:
            try:
                event = decode(StoryEvent, raw)
            except EventError as exc:
                refused += 1
                log.warning("story refused", extra={"reason": exc.reason[:200]})
                continue
            read += 1
            if event.kind == STORY_TOLD:
                self.store.told(event)
            else:
                self.store.withdrawn(event)
                gone = withdrawn(event.story_id, event.district_code, self.clock())
                self.send(self.published_topic, gone.key, gone.to_bytes())
        return read, refused

"""The centre's decisions on a story: checked by the rules, **logged to stories.decisions.v1 and
acknowledged by Kafka before they are applied** (so the moderation state can be rebuilt from the log:
rebuild.py), then applied to the store by the same conditional write the rebuild uses; what changes the
public view is published to stories.published.v1 before the store says it is public (or no longer is)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from services.notify.stories.moderation import APPROVED, GONE, Refused, Story, check, published, withdrawn
from services.notify.stories.publisher import StoryProducer
from services.notify.stories.store import StoryStore
from shared.events import StoryDecisionEvent, decode
from shared.pdpa import redact


class StoryNotFound(Exception):
    pass


class Moderation:
    def __init__(self, store: StoryStore, producer: StoryProducer, *, decisions_topic: str, published_topic: str,
                 clock: Callable[[], datetime], on_published: Callable[[Story, datetime], object] | None = None):
        self.store = store
        self.producer = producer
        self.decisions_topic = decisions_topic
        self.published_topic = published_topic
        self.clock = clock
        self.on_published = on_published  # the chief is told (services/notify/stories/chief.py)

    def _story(self, story_id: str, action: str) -> Story:
        story = self.store.get(story_id)
        if story is None:
            raise StoryNotFound(story_id)
        check(story, action)
        return story

    def _decide(self, story: Story, action: str, by: str, **fields) -> Story:
        """Log the decision (PublishFailed: nothing applied), then apply what the log holds (times at the
        wire's millisecond, as a replay reads them); the story after, or Refused when a withdrawal won."""
        event = StoryDecisionEvent(uuid.uuid4().hex, story.story_id, story.district_code, action, by, self.clock(),
                                   **fields)
        self.producer.publish(self.decisions_topic, event)
        done = self.store.apply(decode(StoryDecisionEvent, event.to_bytes()))
        after = self.store.get(story.story_id)
        if not done or after is None:
            raise Refused("withdrawn", "the citizen withdrew this story meanwhile")
        return after

    def edit(self, story_id: str, text: str, by: str) -> Story:
        """The centre's edit, kept beside the original; the public text changes only when approved again."""
        story = self._story(story_id, "edit")
        cleaned, _ = redact(text)
        return self._decide(story, "edit", by, text=cleaned)

    def approve(self, story_id: str, by: str) -> Story:
        """Approved in the store once logged; public once stories.published.v1 acknowledged the copy. If that
        fails the story stays approved but not public, and approving again publishes it (503 meanwhile)."""
        story = self._decide(self._story(story_id, "approve"), "approve", by)
        now = self.clock()
        self.producer.publish(self.published_topic, published(story, now))
        self.store.set_public(story_id, True)
        again = self.store.get(story_id)
        if again is None or again.status == GONE:  # withdrawn while we published: out again, after ours
            self.producer.publish(self.published_topic, withdrawn(story_id, story.district_code, self.clock()))
            self.store.set_public(story_id, False)
            raise Refused("withdrawn", "the citizen withdrew this story meanwhile")
        if self.on_published is not None:
            self.on_published(again, now)
        return again

    def reject(self, story_id: str, reason: str, by: str) -> Story:
        """Rejected once logged; a public story stays `public` until its withdrawal from public is acknowledged,
        so rejecting again after a 503 sends it again."""
        before = self._story(story_id, "reject")
        story = self._decide(before, "reject", by, reason=reason)
        if before.status == APPROVED or before.public:
            self.producer.publish(self.published_topic, withdrawn(story_id, story.district_code, self.clock()))
            self.store.set_public(story_id, False)
            story = self.store.get(story_id) or story
        return story

    def shortlist(self, story_id: str, tag: str, by: str) -> Story:
        return self._decide(self._story(story_id, "shortlist"), "shortlist", by, shortlist=tag)

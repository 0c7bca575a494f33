"""The centre's decisions on a story, each checked by the rules, written with who and when, and (for what
changes the public view) published to stories.published.v1 before it is reported done."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.notify.stories.moderation import APPROVED, GONE, Refused, Story, check, published, withdrawn
from services.notify.stories.publisher import PublishedStories, PublishFailed
from services.notify.stories.store import StoryStore
from shared.pdpa import redact


class StoryNotFound(Exception):
    pass


class Moderation:
    def __init__(self, store: StoryStore, publisher: PublishedStories, clock: Callable[[], datetime],
                 on_published: Callable[[Story, datetime], object] | None = None):
        self.store = store
        self.publisher = publisher
        self.clock = clock
        self.on_published = on_published  # the chief is told (services/notify/stories/chief.py)

    def _story(self, story_id: str, action: str) -> Story:
        story = self.store.get(story_id)
        if story is None:
            raise StoryNotFound(story_id)
        check(story, action)
        return story

    def _after(self, story_id: str, done: bool) -> Story:
        """The story after a conditional write; a write that matched nothing lost a race with a withdrawal."""
        story = self.store.get(story_id)
        if not done or story is None:
            raise Refused("withdrawn", "the citizen withdrew this story meanwhile")
        return story

    def edit(self, story_id: str, text: str, by: str) -> Story:
        """The centre's edit, kept beside the original; the public text changes only when approved again."""
        self._story(story_id, "edit")
        cleaned, _ = redact(text)
        return self._after(story_id, self.store.edit(story_id, cleaned, by, self.clock()))

    def approve(self, story_id: str, by: str) -> Story:
        self._story(story_id, "approve")
        now = self.clock()
        story = self._after(story_id, self.store.approve(story_id, by, now))
        try:
            self.publisher.publish(published(story, now))
        except PublishFailed:
            self.store.unpublish_failed(story_id)
            raise
        again = self.store.get(story_id)
        if again is None or again.status == GONE:  # withdrawn while we published: out again, after ours
            self.publisher.publish(withdrawn(story_id, story.district_code, self.clock()))
            raise Refused("withdrawn", "the citizen withdrew this story meanwhile")
        if self.on_published is not None:
            self.on_published(again, now)
        return again

    def reject(self, story_id: str, reason: str, by: str) -> Story:
        before = self._story(story_id, "reject")
        story = self._after(story_id, self.store.reject(story_id, reason, by, self.clock()))
        if before.status == APPROVED or before.public:
            self.publisher.publish(withdrawn(story_id, story.district_code, self.clock()))
        return story

    def shortlist(self, story_id: str, tag: str, by: str) -> Story:
        self._story(story_id, "shortlist")
        return self._after(story_id, self.store.shortlist(story_id, tag, by, self.clock()))

"""An in-memory stand-in of notify's StoryStore (the writes the replay and the centre's decisions use), with
the same conditions as the Mongo one: a telling only inserts, a withdrawal erases every decision's mark, a
decision matches nothing on a withdrawn or unknown story (or an approval without consent) and is audited
by its id either way. tests/integration/test_story_rebuild.py holds the real store to the same outcomes."""

from __future__ import annotations

from dataclasses import replace

from services.notify.stories.moderation import APPROVED, GONE, NEW, REJECTED, Story
from shared.events import STORY_TOLD, PublishedStoryEvent, StoryDecisionEvent, StoryEvent


class MemoryStoryStore:
    def __init__(self):
        self.stories: dict[str, Story] = {}
        self.audit: dict[str, dict] = {}

    def told(self, event: StoryEvent) -> None:
        assert event.kind == STORY_TOLD
        self.stories.setdefault(event.story_id, Story(
            event.story_id, event.district_code, NEW, event.text, None, event.publish, event.credit_name, event.at,
            event.consent_version, event.channel))
        self.audit.setdefault(f"{event.story_id}:told", {"action": "told"})

    def withdrawn(self, event: StoryEvent) -> None:
        before = self.stories.get(event.story_id)
        base = before or Story(event.story_id, event.district_code, GONE, "", None, False, None, None, "", "")
        self.stories[event.story_id] = replace(base, status=GONE, text="", edited=None, publish=False, public=False,
                                               reason=None, shortlist=())
        self.audit.setdefault(f"{event.story_id}:withdrawn", {"action": "withdrawn"})

    def apply(self, decision: StoryDecisionEvent) -> bool:
        self.audit.setdefault(decision.decision_id, {"action": decision.action, "by": decision.by})
        story = self.stories.get(decision.story_id)
        if story is None or story.status == GONE or (decision.action == "approve" and not story.publish):
            return False
        changes = {"edit": {"edited": decision.text}, "approve": {"status": APPROVED},
                   "reject": {"status": REJECTED, "reason": decision.reason},
                   "shortlist": {"shortlist": tuple(dict.fromkeys((*story.shortlist, decision.shortlist)))}}
        self.stories[decision.story_id] = replace(story, **changes[decision.action])
        return True

    def set_public(self, story_id: str, public: bool) -> None:
        if story_id in self.stories:
            self.stories[story_id] = replace(self.stories[story_id], public=public)

    def get(self, story_id: str) -> Story | None:
        return self.stories.get(story_id)

    def all(self) -> list[Story]:
        return list(self.stories.values())


class MemoryStoryProducer:
    """Records what the centre's decisions send, by topic; `fail` makes every publish fail like an absent broker."""

    def __init__(self):
        self.sent: list[tuple[str, StoryDecisionEvent | PublishedStoryEvent]] = []
        self.fail = False

    def publish(self, topic: str, event) -> None:
        from services.notify.stories.publisher import PublishFailed

        if self.fail:
            raise PublishFailed("KafkaTimeoutError")
        self.sent.append((topic, event))

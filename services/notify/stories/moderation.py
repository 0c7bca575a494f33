"""The moderation rules, pure: what the centre may do to a story, and what the public may see of it.

A story is `new` until the centre approves or rejects it; a citizen's withdrawal ends it whatever its
state. **Nothing without consent to publish is ever approved**, however it is asked. The public sees
only an approved story's approved text (the centre's edit if there is one, never the original beside
it) with the credit the citizen chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.events import DECISIONS, PUBLISHED, WITHDRAWN, PublishedStoryEvent

NEW, APPROVED, REJECTED = "new", "approved", "rejected"
GONE = "withdrawn"  # the citizen withdrew consent: the text is erased from the store
STATUSES = (NEW, APPROVED, REJECTED, GONE)
ACTIONS = DECISIONS  # what the centre may do (the contract of stories.decisions.v1 names them once)


class Refused(Exception):
    """A decision the rules forbid; `code` names why (the API's error code, 409)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Story:
    """A story as the centre sees it (the store's document)."""

    story_id: str
    district_code: str
    status: str
    text: str  # the citizen's words, redacted at ingest: the centre only
    edited: str | None  # the centre's edit, kept beside the original
    publish: bool  # consent to publish
    credit_name: str | None
    told_at: datetime | None
    consent_version: str
    channel: str
    reason: str | None = None
    shortlist: tuple[str, ...] = ()
    public: bool = False

    @property
    def approved_text(self) -> str:
        return self.edited if self.edited is not None else self.text


def check(story: Story, action: str) -> None:
    """Refused if `action` may not be taken on `story` now."""
    if story.status == GONE:
        raise Refused("withdrawn", "the citizen withdrew this story; nothing more can be done with it")
    if action == "approve" and not story.publish:
        raise Refused("no_consent", "the citizen did not consent to publication: this story can never be approved")
    if action == "approve" and not story.approved_text.strip():
        raise Refused("empty", "an empty text cannot be published")


def may_show(story: Story) -> bool:
    """Whether the public may see the story now: approved, consented, not withdrawn, with words to show."""
    return story.status == APPROVED and story.publish and bool(story.approved_text.strip())


def published(story: Story, now: datetime) -> PublishedStoryEvent:
    """The public record of an approved story (checked again here: no path publishes without consent)."""
    check(story, "approve")
    return PublishedStoryEvent(story.story_id, story.district_code, PUBLISHED, now, text=story.approved_text,
                               credit=story.credit_name, told_at=story.told_at)


def withdrawn(story_id: str, district_code: str, now: datetime) -> PublishedStoryEvent:
    return PublishedStoryEvent(story_id, district_code, WITHDRAWN, now)

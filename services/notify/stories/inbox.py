"""The stories about a district as its chief sees them in the inbox (issue 21): approved or not, in the
words the centre may publish (the citizen's redacted text, or the centre's edit of it); the original beside an
edit stays with the centre, and withdrawn stories are gone."""

from __future__ import annotations

from services.notify.stories.moderation import APPROVED, NEW, REJECTED, Story
from shared.thaidate import be_datetime

SHOWN = 20
STATUS_TH = {NEW: "รอสำนักงานกลางพิจารณา", APPROVED: "เผยแพร่แล้ว", REJECTED: "ไม่เผยแพร่"}
STATUS_EN = {NEW: "awaiting the centre", APPROVED: "published", REJECTED: "not published"}


def inbox_row(story: Story) -> dict:
    """One story's line in the inbox: status, consent, date and the publishable words."""
    return {"status_th": STATUS_TH.get(story.status, story.status), "status_en": STATUS_EN.get(story.status, ""),
            "consent": story.publish, "told": be_datetime(story.told_at) if story.told_at else "-",
            "text": story.approved_text, "credit": story.credit_name if story.public else None}


def district_stories(store, district_code: str) -> list[dict]:
    """The newest `SHOWN` stories about the district (a StoryStore: services/notify/stories/store.py)."""
    return [inbox_row(story) for story in store.for_district(district_code)[:SHOWN]]

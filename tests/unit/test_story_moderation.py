"""The moderation rules (services/notify/stories/moderation.py): no consent, no publication, whatever is asked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.notify.stories.moderation import APPROVED, GONE, NEW, REJECTED, Refused, Story, check, published
from shared.events import PublishedStoryEvent, decode

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def story(**changes) -> Story:
    base = {"story_id": "a" * 32, "district_code": "3706", "status": NEW, "text": "ต้นฉบับ มีชื่อคุณสมชาย",
            "edited": None, "publish": True, "credit_name": "ส.จ.", "told_at": NOW, "consent_version": "2026-12-v1",
            "channel": "qr"}
    return Story(**{**base, **changes})


@pytest.mark.parametrize("status", [NEW, APPROVED, REJECTED])
def test_a_story_without_consent_can_never_be_approved(status):
    with pytest.raises(Refused) as refused:
        check(story(publish=False, status=status), "approve")
    assert refused.value.code == "no_consent"
    with pytest.raises(Refused):
        published(story(publish=False, status=status), NOW)


@pytest.mark.parametrize("action", ["edit", "approve", "reject", "shortlist"])
def test_nothing_can_be_done_with_a_withdrawn_story(action):
    with pytest.raises(Refused) as refused:
        check(story(status=GONE), action)
    assert refused.value.code == "withdrawn"


def test_the_public_gets_the_edit_never_the_original_with_the_chosen_credit():
    event = published(story(edited="เจ้าหน้าที่ [ชื่อ] ช่วยเหลือดีมาก"), NOW)
    assert event.text == "เจ้าหน้าที่ [ชื่อ] ช่วยเหลือดีมาก" and "สมชาย" not in event.to_bytes().decode()
    assert event.credit == "ส.จ." and event.status == "published" and event.key == b"a" * 32
    assert decode(PublishedStoryEvent, event.to_bytes()) == event


def test_an_edit_to_nothing_cannot_be_published():
    with pytest.raises(Refused) as refused:
        check(story(edited="   "), "approve")
    assert refused.value.code == "empty"

"""Telling the district's chief that a story about the district was published (issue 21).

One message per story per receiver and transport, exactly once like every notify message (the outbox's
claims, keyed `story-<id>|published|<receiver>`): approving the same story again sends nothing more. The
message carries the published text only (public by then), never the original.
"""

from __future__ import annotations

import html
import logging
from dataclasses import asdict
from datetime import datetime

from services.notify import metrics
from services.notify.directory import CHIEF
from services.notify.messages import Message
from services.notify.notifier import Notifier
from services.notify.stories.moderation import Story
from shared.districts import District
from shared.thaidate import be_datetime
from shared.timeutil import iso_utc

log = logging.getLogger(__name__)


def story_message(story: Story, district: District, now: datetime) -> Message:
    where_th = f"อำเภอ{district.name_th} จังหวัด{district.province_th}"
    credit = story.credit_name or "ผู้รับบริการ (ไม่ระบุชื่อ)"
    subject = f"[อำเภอสร้างสุข] เรื่องเล่าความประทับใจได้เผยแพร่: {where_th} ({district.name_en})"
    text = "\n".join([f"อำเภอสร้างสุข: เรื่องเล่าความประทับใจเกี่ยวกับ{where_th} ได้เผยแพร่แล้ว", be_datetime(now), "",
                      story.approved_text, f"— {credit}", "",
                      f"Amphoe Sang Suk: a story of service about {district.name_en} District was published."])
    body = ('<!doctype html><html lang="th"><meta charset="utf-8"><body>'
            f"<h1>เรื่องเล่าความประทับใจได้เผยแพร่</h1><p>{html.escape(where_th)}<br>{html.escape(be_datetime(now))}</p>"
            f"<blockquote>{html.escape(story.approved_text)}<br>— {html.escape(credit)}</blockquote>"
            f'<p lang="en">A story of service about {html.escape(district.name_en)} District was published.</p>'
            "</body></html>")
    payload = {"type": "story_published", "district_code": district.code, "story_id": story.story_id,
               "text": story.approved_text, "credit": story.credit_name, "sent_at": iso_utc(now)}
    return Message(subject, text, body, [], payload)


def tell_chief(notifier: Notifier, story: Story, now: datetime) -> int:
    """Queue the message on each transport the chief wants; returns how many were queued (0 if sent before)."""
    district = notifier.registry.get(story.district_code)
    contact_key = f"{CHIEF}:{story.district_code}"
    contact = notifier.store.contact(contact_key)
    if district is None or contact is None:
        metrics.UNROUTABLE.labels("not_in_directory").inc()
        return 0
    content = asdict(story_message(story, district, now))
    queued = 0
    for transport in contact.channels:
        if transport not in notifier.enabled:
            continue
        if notifier.outbox.enqueue(f"{contact_key}/{transport}", contact_key, transport,
                                   [(f"story-{story.story_id}", "published")], None, now, content=content):
            queued += 1
            metrics.MESSAGES_QUEUED.labels(transport).inc()
    return queued

"""The story step over LINE (issue 21) on the LINE stand-in's chat page, with ingest under gunicorn on the real
broker: a vote, "เล่าเรื่อง", the story, consent and credit tapped as quick replies, the withdrawal code, and
"ถอน <code>". What follows stories.v1 (moderation, publication, removal) is the QR page's path
(tests/browser/test_stories.py)."""

from __future__ import annotations

import re

import pytest

from tests.browser import test_line_standin as chat
from tests.support.browser import chromium
from tests.support.kafka_read import read_topic

pytestmark = pytest.mark.integration
standin, ingest = chat.standin, chat.ingest  # the same stand-in and ingest as the chat page's test
STORY = "เจ้าหน้าที่ช่วยกรอกเอกสารจนเสร็จ ประทับใจเกินคาด โทร 0812345678"


def _bot_says(page, text: str):
    reply = page.locator("#chat li.bot", has_text=text).last
    reply.wait_for()
    return reply


def _send(page, text: str) -> None:
    page.get_by_label("ข้อความ").fill(text)
    page.get_by_role("button", name="ส่ง").click()


def test_a_story_told_and_withdrawn_on_the_chat_page(ingest, standin, settings):
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 320, "height": 700}, locale="th-TH").new_page()
        page.goto(standin.url + "/")
        page.get_by_role("button", name="เพิ่มเพื่อน").click()
        _bot_says(page, "ยินดีต้อนรับสู่อำเภอสร้างสุข")
        _send(page, "3706")
        _bot_says(page, "วันนี้ได้รับบริการเป็นอย่างไร")
        page.locator("#quick button", has_text="5 พอใจมาก").click()
        _bot_says(page, "ขอบคุณที่ให้คะแนน 5")
        _send(page, "เล่าเรื่อง")
        _bot_says(page, "พิมพ์ส่งมาในข้อความเดียว")
        _send(page, STORY)
        _bot_says(page, "อนุญาตให้เผยแพร่เรื่องเล่านี้")
        page.locator("#quick button", has_text="อนุญาตให้เผยแพร่").click()
        _bot_says(page, "ให้แสดงชื่อผู้เล่าอย่างไร")
        page.locator("#quick button", has_text="ชื่อต้น").click()
        _bot_says(page, "พิมพ์ชื่อของคุณ")
        _send(page, "สมศรี ใจดี")
        told = _bot_says(page, "รหัสถอนความยินยอมของคุณ").inner_text()
        code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", told).group(0)
        _send(page, f"ถอน {code}")
        _bot_says(page, "ถอนเรื่องเล่าแล้ว")
        assert page.locator("#chat li.system").count() == 1  # only the follow note: no webhook or API error
        assert page.evaluate("document.documentElement.scrollWidth") <= 320

    [(_, vote)] = read_topic(settings.kafka_bootstrap, settings.topics.votes)
    (key, story), (again, gone) = read_topic(settings.kafka_bootstrap, settings.topics.stories)
    assert key == again == story["story_id"].encode() and gone["kind"] == "withdrawn"
    assert (story["vote_id"], story["voter_key"], story["channel"]) == (vote["vote_id"], vote["voter_key"], "line")
    assert story["publish"] is True and story["credit_name"] == "สมศรี" and "[redacted-phone]" in story["text"]
    assert read_topic(settings.kafka_bootstrap, settings.topics.comments) == []  # the story is not a comment

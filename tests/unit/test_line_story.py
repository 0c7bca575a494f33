"""The LINE story step (issue 21) over the webhook: after a vote, "เล่าเรื่อง", the story, consent and credit as
quick replies, the same stories.v1 event as the QR page's, the code, and "ถอน <code>" withdrawing it."""

from __future__ import annotations

import re

from tests.support import line_api as line
from tests.unit import test_line_webhook as webhook
from tests.unit.ingest_app import NOW

bot, _texts = webhook.bot, webhook._texts  # the webhook's harness (`line_api` is a plugin of tests/conftest.py)
STORY = "เจ้าหน้าที่ช่วยกรอกเอกสารจนเสร็จ โทร 0812345678 ประทับใจมาก"


def _voted(bot, user: str) -> None:
    bot.say(line.postback(user, f"v1|vote|3706|5|{int(NOW.timestamp())}"))


def _tap(bot, user: str, replies: list[dict], label: str) -> list[dict]:
    [message] = [m for r in replies for m in r["messages"]]
    [data] = [i["action"]["data"] for i in message["quickReply"]["items"] if i["action"]["label"] == label]
    return bot.say(line.postback(user, data))


def test_a_story_with_consent_and_initials_then_withdrawn_by_its_code(bot):
    user = line.user_id()
    _voted(bot, user)
    [vote] = bot.votes.events
    assert "พิมพ์ส่งมาในข้อความเดียว" in _texts(bot.say(line.text(user, "เล่าเรื่อง")))[0]
    consent = bot.say(line.text(user, STORY))
    assert "อนุญาตให้เผยแพร่" in _texts(consent)[0]
    credit = _tap(bot, user, consent, "อนุญาตให้เผยแพร่")
    name = _tap(bot, user, credit, "อักษรย่อ")
    assert "พิมพ์ชื่อของคุณ" in _texts(name)[0]
    [done] = _texts(bot.say(line.text(user, "สมศรี ใจดี")))
    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", done).group(0)
    assert f"ถอน {code}" in done
    [story] = bot.stories.events
    assert (story.kind, story.vote_id, story.voter_key, story.channel) == ("told", vote.vote_id, vote.voter_key, "line")
    assert story.publish and story.credit_name == "ส.จ." and "[redacted-phone]" in story.text
    assert "สมศรี" not in repr(bot.steps.docs) and bot.comments.events == []  # the story is not a comment
    [gone] = _texts(bot.say(line.text(user, f"ถอน {code.lower()}")))
    assert gone.startswith("ถอนเรื่องเล่าแล้ว")
    assert [e.kind for e in bot.stories.events] == ["told", "withdrawn"]


def test_no_consent_tells_an_anonymous_story_at_once(bot):
    user = line.user_id()
    _voted(bot, user)
    bot.say(line.text(user, "เล่าเรื่อง"))
    done = _tap(bot, user, bot.say(line.text(user, STORY)), "ไม่อนุญาต")
    assert "รหัสถอนความยินยอม" in _texts(done)[0]
    [story] = bot.stories.events
    assert story.publish is False and story.credit == "anonymous" and story.credit_name is None


def test_without_a_vote_there_is_no_story_and_a_wrong_code_is_said_so(bot):
    user = line.user_id()
    assert "หลังให้คะแนน" in _texts(bot.say(line.text(user, "เล่าเรื่อง")))[0]
    assert _texts(bot.say(line.text(user, "ถอน ZZZZ-ZZZZ")))[0].startswith("ไม่พบรหัสนี้")
    assert bot.stories.events == []


def test_guessing_codes_over_line_is_rate_limited(bot):
    user = line.user_id()
    for _ in range(5):
        assert _texts(bot.say(line.text(user, "ถอน 0000-0000")))[0].startswith("ไม่พบรหัสนี้")
    assert _texts(bot.say(line.text(user, "ถอน 0000-0001")))[0].startswith("ลองรหัสบ่อยเกินไป")


def test_a_stale_story_button_says_so(bot):
    user = line.user_id()
    assert "หมดอายุ" in _texts(bot.say(line.postback(user, "s1|publish|yes")))[0]
    assert "หมดอายุ" in _texts(bot.say(line.postback(user, "s1|" + "x" * 5000)))[0]

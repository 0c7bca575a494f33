"""The LINE webhook over the Flask test client: signed LINE-shaped bodies, a local LINE API, fakes for Kafka."""

from __future__ import annotations

import json

import pytest

from services.ingest.app import create_app
from services.ingest.auth import ChannelKeys
from services.ingest.bootstrap import bootstrap
from services.ingest.config import IngestConfig
from tests.support import line_api as line
from tests.support.fakes import (
    Clock,
    MemoryClaims,
    MemoryConversationStore,
    MemoryLimiter,
    MemoryPublisher,
    MemoryStoryRegister,
    MemoryStorySteps,
)
from tests.unit.ingest_app import KEYS, NOW

HOOK = "/v1/channels/line/webhook"


class Bot:
    def __init__(self, monkeypatch, line_api):
        monkeypatch.setenv("LINE_CHANNEL_SECRET", line.TEST_CHANNEL_SECRET)
        monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", line.TEST_ACCESS_TOKEN)
        monkeypatch.setenv("LINE_API_HOST", line_api.url)
        monkeypatch.setenv("PUBLIC_BASE_URL", "https://amphoesangsook.example")
        self.api = line_api
        self.votes, self.comments, self.clock = MemoryPublisher(), MemoryPublisher(), Clock(NOW)
        self.conversations = MemoryConversationStore()
        self.stories, self.steps = MemoryPublisher(), MemoryStorySteps()
        app = create_app(bootstrap(IngestConfig(), keys=ChannelKeys({ch: [k] for ch, k in KEYS.items()}),
                         voter_secret=b"unit-test-secret", claims=MemoryClaims(), limiter=MemoryLimiter(30),
                         publisher=self.votes, comment_publisher=self.comments, conversations=self.conversations,
                         clock=self.clock, readiness={}, story_publisher=self.stories,
                         story_register=MemoryStoryRegister(), story_limiter=MemoryLimiter(5),
                         story_steps=self.steps))
        self.client = app.test_client()

    def send(self, *events, signature: str | None = "sign"):
        body = line.payload(*events)
        headers = {"Content-Type": "application/json"}
        if signature == "sign":
            headers["X-Line-Signature"] = line.sign(body)
        elif signature:
            headers["X-Line-Signature"] = signature
        return self.client.post(HOOK, data=body, headers=headers)

    def say(self, *events) -> list[dict]:
        assert self.send(*events).status_code == 200
        return self.api.take()


@pytest.fixture
def bot(monkeypatch, line_api):
    return Bot(monkeypatch, line_api)


def _texts(replies: list[dict]) -> list[str]:
    return [m["text"] for r in replies for m in r["messages"]]


def test_missing_or_forged_signature_is_refused_and_publishes_nothing(bot):
    user = line.user_id()
    vote = line.postback(user, f"v1|vote|3706|5|{int(NOW.timestamp())}")
    missing = bot.send(vote, signature=None)
    assert missing.status_code == 400 and missing.json["error"] == "missing_signature"
    forged = bot.send(vote, signature=line.sign(line.payload(vote), "not-the-secret"))
    assert forged.status_code == 401 and forged.json["error"] == "invalid_signature"
    assert bot.votes.events == [] and bot.api.take() == []


def test_follow_code_score_comment_is_a_vote_and_a_comment(bot):
    user = line.user_id()
    [welcome] = bot.say(line.follow(user))
    assert welcome["messages"][0]["text"].startswith("สวัสดีค่ะ ยินดีต้อนรับสู่อำเภอสร้างสุข")
    assert welcome["replyToken"] and bot.api.requests == []
    [prompt] = bot.say(line.text(user, "โหวต 3706"))
    [message] = prompt["messages"]
    assert message["text"] == ("อ.หัวตะพาน จ.อำนาจเจริญ\n"
                               "วันนี้ได้รับบริการเป็นอย่างไร กดเลือกคะแนนความสุข 1–5 ด้านล่างได้เลย")
    items = message["quickReply"]["items"]
    assert [i["action"]["label"] for i in items] == ["5 พอใจมาก", "4 พอใจ", "3 เฉย ๆ", "2 ไม่พอใจ", "1 ไม่พอใจมาก"]
    assert items[0] == {"type": "action", "action": {"type": "postback", "label": "5 พอใจมาก",
                                                     "data": f"v1|vote|3706|5|{int(NOW.timestamp())}",
                                                     "displayText": "5 พอใจมาก"}}
    vote = line.postback(user, line.button_data(prompt, "4"))
    [thanks] = bot.say(vote)
    assert _texts([thanks])[0] == "ขอบคุณที่ให้คะแนน 4 (พอใจ) แก่อ.หัวตะพาน จ.อำนาจเจริญ 🙏"
    assert _texts([thanks])[1].startswith("อยากชมเจ้าหน้าที่หรืองานไหนเป็นพิเศษ")  # the praise question (issue 19)
    assert _texts(bot.say(line.postback(user, line.button_data(thanks, "ข้าม")))) == [
        "รับทราบค่ะ 🙏 มีคำติชม ข้อเสนอแนะ พิมพ์ส่งมาได้ภายใน 30 นาที"]
    assert bot.comments.events == []  # a skip publishes nothing
    [event] = bot.votes.events
    assert (event.district_code, event.score, event.channel) == ("3706", 4, "line")
    assert len(event.voter_key) == 64 and user not in repr(event) and user not in repr(bot.conversations.docs)
    bot.clock.advance(minutes=29)
    comment = line.text(user, "เจ้าหน้าที่ใจดีมาก โทรกลับ 0812345678")
    assert _texts(bot.say(comment)) == ["ได้รับความคิดเห็นแล้ว ขอบคุณมากค่ะ 🙏 ทางอำเภอจะนำไปปรับปรุงบริการให้ดียิ่งขึ้น\n"
                                        "มีเรื่องอื่นอีก พิมพ์ส่งเพิ่มได้ภายใน 1 นาที ข้อความจะต่อท้ายความคิดเห็นนี้"]
    [c] = bot.comments.events
    assert (c.vote_id, c.district_code, c.channel) == (event.vote_id, "3706", "line")
    assert c.comment == "เจ้าหน้าที่ใจดีมาก โทรกลับ [redacted-phone]" and c.schema == "comments.v1"
    # Redeliveries of the vote and of the comment publish nothing new and say nothing again.
    assert bot.say(line.redelivered(vote), line.redelivered(comment)) == []
    assert len(bot.votes.events) == 1 and len(bot.comments.events) == 1
    # A further text within the window is appended to the same vote's comment (not taken as a district search),
    # published as the whole comment, which replaces the first; the reply says so.
    more = line.text(user, "อีกเรื่องหนึ่ง: ที่จอดรถไม่พอ")
    assert _texts(bot.say(more)) == ["ได้รับข้อความเพิ่มเติมแล้ว ต่อท้ายความคิดเห็นเดิมของคะแนนที่ให้อ.หัวตะพาน "
                                     "จ.อำนาจเจริญ (รวม 2 ข้อความ) ขอบคุณค่ะ 🙏"]
    first, second = bot.comments.events
    assert (second.vote_id, second.district_code) == (event.vote_id, "3706") and second.comment_id != first.comment_id
    assert second.comment == "เจ้าหน้าที่ใจดีมาก โทรกลับ [redacted-phone]\nอีกเรื่องหนึ่ง: ที่จอดรถไม่พอ"
    assert bot.say(line.redelivered(more), line.redelivered(comment)) == [] and len(bot.comments.events) == 2
    # Past the window it is a district search again.
    bot.clock.advance(minutes=2)
    assert _texts(bot.say(line.text(user, "อีกเรื่อง")))[0].startswith("ขออภัย ไม่พบอำเภอ")
    assert len(bot.comments.events) == 2


def test_appending_stops_at_the_comment_limit_and_keeps_what_was_attached(bot):
    user = line.user_id()
    [prompt] = bot.say(line.text(user, "3706"))
    bot.say(line.postback(user, line.button_data(prompt, "5")))
    bot.say(line.text(user, "ก" * 900))
    assert _texts(bot.say(line.text(user, "ข" * 200)))[0].startswith("ความคิดเห็นรวมกับข้อความก่อนหน้ายาว 1,101 ตัวอักษร")
    bot.say(line.text(user, "ข" * 99))
    assert [len(c.comment) for c in bot.comments.events] == [900, 1000]


def test_comment_after_the_window_is_not_attached(bot):
    user = line.user_id()
    [prompt] = bot.say(line.text(user, "Hua Taphan"))
    bot.say(line.postback(user, line.button_data(prompt, "5")))
    bot.clock.advance(minutes=31)
    assert _texts(bot.say(line.text(user, "ดีมาก")))[0].startswith("ขออภัย ไม่พบอำเภอ “ดีมาก”")
    assert bot.comments.events == []


def test_same_day_second_vote_and_stale_and_unknown_get_polite_replies(bot):
    user = line.user_id()
    [prompt] = bot.say(line.text(user, "3706"))
    bot.say(line.postback(user, line.button_data(prompt, "5")))
    assert _texts(bot.say(line.postback(user, line.button_data(prompt, "1"))))[0].startswith(
        "วันนี้คุณให้คะแนนอ.หัวตะพาน จ.อำนาจเจริญแล้ว")
    bot.clock.advance(hours=25)
    assert _texts(bot.say(line.postback(user, line.button_data(prompt, "3"))))[0].startswith(
        "ตัวเลือกนี้หมดอายุแล้ว")
    assert _texts(bot.say(line.text(user, "1001")))[0].startswith("ขออภัย ไม่พบอำเภอ “1001”")
    assert _texts(bot.say(line.sticker(user)))[0].startswith("ขออภัย ระบบรับได้เฉพาะข้อความตัวอักษร")
    unfollow = {**line.follow(user), "type": "unfollow"}
    unfollow.pop("replyToken"), unfollow.pop("follow")
    weird = {**line.follow(user), "type": "somethingNew"}
    assert bot.say(unfollow, weird) == []
    assert len(bot.votes.events) == 1


def test_a_shared_name_asks_for_the_province(bot):
    user = line.user_id()
    [choice] = bot.say(line.text(user, "เฉลิมพระเกียรติ"))
    labels = [i["action"]["label"] for i in choice["messages"][0]["quickReply"]["items"]]
    assert len(labels) == 5 and all(len(label) <= 20 for label in labels)
    assert len(set(labels)) == 5 and {"จ.นครราชสีมา", "จ.นครศรีธรรมราช"} <= set(labels)  # 3032 and 8023, no "…"
    assert choice["messages"][0]["text"].startswith("มีหลายอำเภอที่ชื่อ “เฉลิมพระเกียรติ” กรุณาเลือกจังหวัด\n")
    [prompt] = bot.say(line.postback(user, choice["messages"][0]["quickReply"]["items"][0]["action"]["data"]))
    assert "quickReply" in prompt["messages"][0]


def test_kafka_outage_offers_the_scores_again_and_never_5xx(bot):
    user = line.user_id()
    [prompt] = bot.say(line.text(user, "4408"))
    bot.votes.fail = True
    [sorry] = bot.say(line.postback(user, line.button_data(prompt, "5")))
    assert sorry["messages"][0]["text"].startswith("ขออภัย ระบบขัดข้องชั่วคราว คะแนนยังไม่ได้บันทึก")
    retry = line.button_data(sorry, "5")
    bot.votes.fail = False
    bot.say(line.postback(user, retry))
    assert [e.score for e in bot.votes.events] == [5]


def test_broken_bodies_are_4xx(bot):
    body = b'{"events": [}'
    response = bot.client.post(HOOK, data=body, headers={"X-Line-Signature": line.sign(body)})
    assert response.status_code == 400
    assert bot.send().status_code == 200  # LINE's "verify" sends no events


def test_without_credentials_the_webhook_says_so(monkeypatch):
    monkeypatch.delenv("LINE_CHANNEL_SECRET", raising=False)
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://amphoesangsook.example")
    app = create_app(bootstrap(IngestConfig(), keys=ChannelKeys({"qr": ["k"]}), voter_secret=b"s",
                               claims=MemoryClaims(), limiter=MemoryLimiter(3), publisher=MemoryPublisher(),
                               comment_publisher=MemoryPublisher(), conversations=MemoryConversationStore(),
                               readiness={}))
    response = app.test_client().post(HOOK, data=json.dumps({"events": []}), headers={"X-Line-Signature": "x"})
    assert response.status_code == 503 and response.json["error"] == "line_not_configured"


def test_comment_window_is_configurable(monkeypatch, line_api):
    monkeypatch.setenv("LINE_COMMENT_WINDOW_MIN", "5")
    bot = Bot(monkeypatch, line_api)
    user = line.user_id()
    [prompt] = bot.say(line.text(user, "4712"))
    assert "ภายใน 5 นาที" in _texts(bot.say(line.postback(user, line.button_data(prompt, "2"))))[0]
    bot.clock.advance(minutes=6)
    bot.say(line.text(user, "ช้าไป"))
    assert bot.comments.events == []

"""LINE's praise question (issue 19) over the Flask test client and the local LINE API: asked after a vote of
4 or 5 only, a unit tapped or a name typed becomes comments.v1's `staff` (redacted, with an empty comment),
skip publishes nothing, redeliveries and taps out of step get a clear answer and publish nothing new."""

from __future__ import annotations

import pytest

from services.ingest.line import praise as words
from services.ingest.line.conversation import LABEL_MAX
from services.ingest.line.praise_units import StaticPraiseUnits
from shared.praise import DEFAULT_UNITS, normalise
from tests.support import line_api as line
from tests.unit.test_line_webhook import Bot, _texts

OWN = [{"id": "mobile_office", "th": "อำเภอเคลื่อนที่", "en": "Mobile office", "aliases": ["หน่วยเคลื่อนที่"]}]


@pytest.fixture
def bot(monkeypatch, line_api):
    return Bot(monkeypatch, line_api)


def _vote(bot: Bot, user: str, score: int, district: str = "3706") -> dict:
    [prompt] = bot.say(line.text(user, district))
    [thanks] = bot.say(line.postback(user, line.button_data(prompt, str(score))))
    return thanks


def _items(reply: dict) -> list[dict]:
    return reply["messages"][-1].get("quickReply", {}).get("items", [])


def test_a_vote_of_5_asks_whom_to_praise_and_a_tapped_unit_is_published_once(bot):
    user = line.user_id()
    thanks = _vote(bot, user, 5)
    first, question = _texts([thanks])
    assert first.startswith("ขอบคุณที่ให้คะแนน 5") and question.startswith("อยากชมเจ้าหน้าที่หรืองานไหน")
    labels = [i["action"]["label"] for i in _items(thanks)]
    assert len(labels) == len(DEFAULT_UNITS) + 1 <= words.QUICK_REPLY_MAX and labels[-1] == "ข้าม"
    assert all(len(label) <= LABEL_MAX for label in labels) and len(set(labels)) == len(labels)
    tap = line.postback(user, line.button_data(thanks, "บัตรประจำตัวประชาชน"))
    assert _texts(bot.say(tap))[0].startswith("ได้รับคำชมแล้ว ขอบคุณค่ะ")
    [praise] = bot.comments.events
    [vote] = bot.votes.events
    assert (praise.vote_id, praise.comment, praise.staff) == (vote.vote_id, "", "งานบัตรประจำตัวประชาชน")
    assert normalise(praise.staff).unit_id == "id_card"  # notify reads the name back as the unit
    # LINE's redelivery: nothing new, nothing said; a second tap: a clear answer, nothing published
    assert bot.say(line.redelivered(tap)) == []
    again = line.postback(user, line.button_data(thanks, "ข้าม"))
    assert _texts(bot.say(again)) == [words.already_answered().text]
    assert len(bot.comments.events) == 1
    # the conversation goes on: a comment is the vote's comment, with no praise on it
    assert _texts(bot.say(line.text(user, "รวดเร็วมากค่ะ")))[0].startswith("ได้รับความคิดเห็นแล้ว")
    comment = bot.comments.events[-1]
    assert (comment.vote_id, comment.comment, comment.staff) == (vote.vote_id, "รวดเร็วมากค่ะ", None)


def test_a_vote_of_4_takes_a_typed_name_redacted_then_a_comment(bot):
    user = line.user_id()
    _vote(bot, user, 4)
    assert _texts(bot.say(line.text(user, "พี่สมศรี งานทะเบียน โทร 0812345678")))[0].startswith("ได้รับคำชมแล้ว")
    [praise] = bot.comments.events
    assert praise.staff == "พี่สมศรี งานทะเบียน โทร [redacted-phone]" and praise.comment == ""
    assert "0812345678" not in repr(bot.conversations.docs)
    bot.say(line.text(user, "ที่จอดรถไม่พอ"))
    assert [(e.comment, e.staff) for e in bot.comments.events][1:] == [("ที่จอดรถไม่พอ", None)]


@pytest.mark.parametrize("score", [1, 2, 3])
def test_a_vote_below_4_asks_nothing_and_a_praise_tap_for_it_is_stale(bot, score):
    user = line.user_id()
    thanks = _vote(bot, user, score)
    assert _texts([thanks]) == [f"ขอบคุณที่ให้คะแนน {score} ({line_score_word(score)}) แก่อ.หัวตะพาน จ.อำนาจเจริญ 🙏\n"
                                "อยากชมเจ้าหน้าที่ หรือมีคำติชม ข้อเสนอแนะ พิมพ์ส่งมาได้ภายใน 30 นาที"]
    assert _items(thanks) == []
    [vote] = bot.votes.events
    assert _texts(bot.say(line.postback(user, f"p1|{vote.vote_id}|id_card"))) == [words.stale_question().text]
    bot.say(line.text(user, "พี่สมศรี"))  # no question waits: the text is the comment, as before
    assert [(e.comment, e.staff) for e in bot.comments.events] == [("พี่สมศรี", None)]


def line_score_word(score: int) -> str:
    from services.channels.wording import SCORE_WORDS
    return SCORE_WORDS["th"][score]


def test_skip_publishes_nothing_and_a_sentence_naming_no_one_is_the_comment(bot):
    user, other = line.user_id(), line.user_id()
    _vote(bot, user, 5)
    assert _texts(bot.say(line.text(user, "ข้าม")))[0].startswith("รับทราบค่ะ")
    assert bot.comments.events == []
    _vote(bot, other, 5)
    assert _texts(bot.say(line.text(other, "ขอบคุณมากครับ บริการรวดเร็ว")))[0].startswith("ได้รับความคิดเห็นแล้ว")
    assert [(e.comment, e.staff) for e in bot.comments.events] == [("ขอบคุณมากครับ บริการรวดเร็ว", None)]
    # the question is passed: a later tap on it is answered, not published
    assert _texts(bot.say(line.postback(other, f"p1|{bot.votes.events[-1].vote_id}|id_card"))) == [
        words.already_answered().text]
    assert len(bot.comments.events) == 1


@pytest.mark.parametrize("data", ["p1", "p1|", "p1||id_card", "p1|x|y|z", "p1|" + "x" * 400 + "|id_card",
                                  "p1|not-a-vote|id_card"])
def test_a_malformed_or_foreign_praise_postback_gets_an_answer_not_a_crash(bot, data):
    user = line.user_id()
    _vote(bot, user, 5)
    replies = _texts(bot.say(line.postback(user, data)))
    assert replies and ("หมดอายุ" in replies[0])
    assert bot.comments.events == []


def test_an_unknown_unit_and_a_tap_after_the_window_are_stale(bot):
    user = line.user_id()
    _vote(bot, user, 5)
    vote_id = bot.votes.events[-1].vote_id
    assert _texts(bot.say(line.postback(user, f"p1|{vote_id}|no_such_unit"))) == [words.stale_question().text]
    bot.clock.advance(minutes=31)
    assert _texts(bot.say(line.postback(user, f"p1|{vote_id}|id_card"))) == [words.stale_question().text]
    assert bot.comments.events == []


def test_the_districts_own_units_come_first_within_13_buttons():
    many = OWN + [{"id": f"extra_{i}", "th": f"งานพิเศษที่ {i}"} for i in range(20)]
    offered = StaticPraiseUnits({"3706": many}).for_district("3706")
    reply = words.question("v1", offered.units, offered.own)
    assert len(reply.buttons) == words.QUICK_REPLY_MAX and reply.buttons[-1].label == "ข้าม"
    assert reply.buttons[0].label == "อำเภอเคลื่อนที่" and reply.buttons[0].data == "p1|v1|mobile_office"
    assert all(len(b.label) <= LABEL_MAX and len(b.data) <= words.POSTBACK_MAX for b in reply.buttons)
    plain = StaticPraiseUnits().for_district("3706")
    assert [b.data.split("|")[2] for b in words.question("v1", plain.units).buttons][:-1] == [
        u.id for u in DEFAULT_UNITS]


def test_every_default_units_label_and_name_read_back_as_that_unit():
    for unit in DEFAULT_UNITS:
        assert normalise(unit.name_th).unit_id == unit.id
        assert normalise(words.short_label(unit)).unit_id == unit.id


def test_a_district_typed_at_the_question_starts_a_new_vote_as_before(bot):
    user = line.user_id()
    _vote(bot, user, 5)
    [prompt] = bot.say(line.text(user, "4408"))
    assert "พยัคฆภูมิพิสัย" in prompt["messages"][0]["text"] and bot.comments.events == []

"""Tags written with the feedback documents: beside a comment in $set, empty on insert for praise only."""

from __future__ import annotations

from services.notify.feedback import FeedbackWrite
from services.notify.topic_tags import with_topics
from shared.topics import default_tagger


def test_a_comment_is_tagged_in_its_set_and_praise_only_gets_empty_tags_on_insert():
    tagger = default_tagger()
    comment = FeedbackWrite("v1", {"comment": "ไม่ต้องรอนาน ห้องน้ำสกปรก", "score": 4})
    praise = FeedbackWrite("v2", {"score": 5, "praise": {"text": "งานบัตร"}}, {"comment": "", "at": 1})
    tagged_comment, tagged_praise = with_topics([comment, praise], tagger)
    assert tagged_comment.sets["topics"] == {"waiting": "positive", "facilities": "negative"}
    assert tagged_comment.sets["tagger_version"] == tagger.version and tagged_comment.on_insert == {}
    assert "topics" not in tagged_praise.sets  # a replayed vote must not wipe its later comment's tags
    assert tagged_praise.on_insert == {"comment": "", "at": 1, "topics": {}, "tagger_version": tagger.version}

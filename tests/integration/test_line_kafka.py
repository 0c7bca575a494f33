"""A signed LINE conversation against ingest under gunicorn: the vote and its comment land once in Kafka."""

from __future__ import annotations

import requests

from tests.support import line_api as line
from tests.support.kafka_read import read_topic


def _post(line_ingest, *events, signature=None):
    body = line.payload(*events)
    return requests.post(line_ingest.url + "/v1/channels/line/webhook", data=body, timeout=15,
                         headers={"Content-Type": "application/json",
                                  "X-Line-Signature": signature or line.sign(body)})


def test_signed_conversation_votes_then_comments_exactly_once(line_ingest, settings, line_api):
    user = line.user_id()
    assert _post(line_ingest, line.follow(user)).status_code == 200
    assert _post(line_ingest, line.text(user, "อำเภอพยัคฆภูมิพิสัย")).status_code == 200
    prompt = line_api.replies()[-1]
    vote = line.postback(user, line.button_data(prompt, "5"))
    assert _post(line_ingest, vote).status_code == 200
    praise = line.text(user, "ชมพี่สมศรี งานทะเบียนค่ะ")  # the answer to the praise question (issue 19)
    assert _post(line_ingest, praise).status_code == 200
    comment = line.text(user, "บริการรวดเร็ว ขอบคุณค่ะ")
    assert _post(line_ingest, comment).status_code == 200
    # LINE redelivers all three, and a forged copy arrives: nothing new is published.
    assert _post(line_ingest, line.redelivered(vote), line.redelivered(praise),
                 line.redelivered(comment)).status_code == 200
    assert _post(line_ingest, vote, signature=line.sign(line.payload(vote), "forged")).status_code == 401

    [(key, event)] = read_topic(settings.kafka_bootstrap, settings.topics.votes)
    assert (key, event["channel"], event["score"], event["district_code"]) == (b"4408", "line", 5, "4408")
    assert len(event["voter_key"]) == 64 and user not in str(event)
    [(pkey, p), (ckey, c)] = read_topic(settings.kafka_bootstrap, settings.topics.comments)
    assert (ckey, c["schema"], c["vote_id"], c["channel"]) == (b"4408", "comments.v1", event["vote_id"], "line")
    assert (pkey, p["vote_id"], p["comment"], p["staff"]) == (b"4408", event["vote_id"], "", "ชมพี่สมศรี งานทะเบียนค่ะ")
    assert (c["comment"], c["staff"]) == ("บริการรวดเร็ว ขอบคุณค่ะ", None)
    texts = [m["text"] for r in line_api.replies() for m in r["messages"]]
    # welcome, scores, thanks and the praise question, praise thanks, comment thanks: the redeliveries said nothing
    assert len(texts) == 6
    assert texts[2].startswith("ขอบคุณที่ให้คะแนน 5 (พอใจมาก) แก่อ.พยัคฆภูมิพิสัย จ.มหาสารคาม")
    assert texts[3].startswith("อยากชมเจ้าหน้าที่หรืองานไหน") and texts[4].startswith("ได้รับคำชมแล้ว")
    assert all(r["auth"] == f"Bearer {line.TEST_ACCESS_TOKEN}" for r in line_api.requests)
    assert user not in line_ingest.output()  # no LINE userId in the logs

"""A signed LINE conversation against ingest under gunicorn: the vote and its comment land once in Kafka."""

from __future__ import annotations

import pytest
import requests

from tests.integration.ingest_env import ingest_env
from tests.support import line_api as line
from tests.support.kafka_read import read_topic
from tests.support.processes import ServiceProcess


@pytest.fixture
def api():
    with line.FakeLineApi() as fake:
        yield fake


@pytest.fixture
def ingest(settings, api):
    env = ingest_env(settings, TOPIC_COMMENTS=settings.topics.comments, LINE_CHANNEL_SECRET=line.TEST_CHANNEL_SECRET,
                     LINE_CHANNEL_ACCESS_TOKEN=line.TEST_ACCESS_TOKEN, LINE_API_HOST=api.url)
    with ServiceProcess("services.ingest.wsgi:app", env, workers=2, threads=4) as svc:
        yield svc


def _post(ingest, *events, signature=None):
    body = line.payload(*events)
    return requests.post(ingest.url + "/v1/channels/line/webhook", data=body, timeout=15,
                         headers={"Content-Type": "application/json",
                                  "X-Line-Signature": signature or line.sign(body)})


def test_signed_conversation_votes_then_comments_exactly_once(ingest, settings, api):
    user = line.user_id()
    assert _post(ingest, line.follow(user)).status_code == 200
    assert _post(ingest, line.text(user, "อำเภอพยัคฆภูมิพิสัย")).status_code == 200
    prompt = api.replies()[-1]
    vote = line.postback(user, line.button_data(prompt, "5"))
    assert _post(ingest, vote).status_code == 200
    comment = line.text(user, "ชมงานทะเบียนค่ะ บริการรวดเร็ว")
    assert _post(ingest, comment).status_code == 200
    # LINE redelivers both, and a forged copy arrives: nothing new is published.
    assert _post(ingest, line.redelivered(vote), line.redelivered(comment)).status_code == 200
    assert _post(ingest, vote, signature=line.sign(line.payload(vote), "forged")).status_code == 401

    [(key, event)] = read_topic(settings.kafka_bootstrap, settings.topics.votes)
    assert (key, event["channel"], event["score"], event["district_code"]) == (b"4408", "line", 5, "4408")
    assert len(event["voter_key"]) == 64 and user not in str(event)
    [(ckey, c)] = read_topic(settings.kafka_bootstrap, settings.topics.comments)
    assert (ckey, c["schema"], c["vote_id"], c["channel"]) == (b"4408", "comments.v1", event["vote_id"], "line")
    assert c["comment"] == "ชมงานทะเบียนค่ะ บริการรวดเร็ว"
    texts = [m["text"] for r in api.replies() for m in r["messages"]]
    assert len(texts) == 4  # welcome, scores, thanks, comment thanks: the redeliveries said nothing
    assert texts[2].startswith("ขอบคุณที่ให้คะแนน 5 (พอใจมาก) แก่อ.พยัคฆภูมิพิสัย จ.มหาสารคาม")
    assert all(r["auth"] == f"Bearer {line.TEST_ACCESS_TOKEN}" for r in api.requests)
    assert user not in ingest.output()  # no LINE userId in the logs

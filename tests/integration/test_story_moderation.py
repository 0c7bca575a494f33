"""The centre's moderation of stories on the real store and broker (issue 21): stories.v1 into the queue,
edit beside the original, approve (published to stories.published.v1 with the approved text only), a story
without consent never approved, a withdrawal out at once, the audit trail, nothing unapproved outside."""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from kafka import KafkaProducer

from services.notify.app import create_app
from shared.events import StoryEvent
from shared.timeutil import utcnow
from tests.integration.notify_env import CENTRAL_KEY, built, load_directory
from tests.support.fakes import Clock
from tests.support.kafka_read import read_topic

CENTRE = {"Authorization": f"Bearer {CENTRAL_KEY}"}
ORIGINAL = "คุณสมชายที่ช่องสามช่วยกรอกเอกสารให้จนเสร็จ ประทับใจเกินคาด"
EDITED = "เจ้าหน้าที่ช่องบริการช่วยกรอกเอกสารให้จนเสร็จ ประทับใจเกินคาด"
SECRET_WORDS = "คุณสมชาย"
WITH, WITHOUT = "a" * 32, "b" * 32


@pytest.fixture
def notify(settings):
    return built(settings, Clock(utcnow()), line_url="http://127.0.0.1:9", smtp_port=9)


@pytest.fixture
def feed(settings, notify):
    """Apply stories.v1 events as notify's consumer does; its sink sends to the real broker."""
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")

    def send(topic: str, key: bytes, value: bytes) -> None:
        producer.send(topic, key=key, value=value)

    processor = notify.processor(digest=SimpleNamespace(run_if_due=lambda now: 0), sink=SimpleNamespace(send=send))

    def apply(*events: StoryEvent) -> None:
        processor.handle([SimpleNamespace(topic=settings.topics.stories, value=e.to_bytes(), key=e.key, offset=i,
                                          partition=0) for i, e in enumerate(events)])
        producer.flush()

    yield apply
    producer.close()


def told(story_id: str, publish: bool) -> StoryEvent:
    return StoryEvent(story_id, "told", "3706", "qr", utcnow() - timedelta(minutes=5), vote_id="v-" + story_id[:4],
                      voter_key="c" * 64, text=ORIGINAL, publish=publish, credit="initials" if publish else "anonymous",
                      credit_name="ส.จ." if publish else None, consent_version="2026-12-v1")


def published(settings) -> list[tuple[bytes, dict]]:
    return read_topic(settings.kafka_bootstrap, settings.topics.stories_published)


def test_the_centre_edits_and_approves_and_only_the_approved_text_goes_out(settings, notify, feed, caplog):
    caplog.set_level(logging.DEBUG)
    feed(told(WITH, True), told(WITHOUT, False), told(WITH, True))  # a replayed telling is the same story
    client = create_app(notify).test_client()
    queue = client.get("/v1/stories?status=new", headers=CENTRE).get_json()
    assert queue["count"] == 2 and {s["original"] for s in queue["stories"]} == {ORIGINAL}
    assert client.post(f"/v1/stories/{WITH}/approve", json={"by": ""}, headers=CENTRE).status_code == 400
    edit = client.post(f"/v1/stories/{WITH}/edit", json={"text": EDITED + " โทร 0812345678", "by": "ผู้ตรวจ ก"},
                       headers=CENTRE)
    assert edit.status_code == 200
    body = edit.get_json()
    assert body["original"] == ORIGINAL and body["edited"].startswith(EDITED) and "0812345678" not in body["edited"]
    assert published(settings) == []  # an edit publishes nothing
    approve = client.post(f"/v1/stories/{WITH}/approve", json={"by": "ผู้ตรวจ ก"}, headers=CENTRE)
    assert approve.status_code == 200 and approve.get_json()["status"] == "approved"
    [(key, event)] = published(settings)
    assert key == WITH.encode() and event["status"] == "published" and event["credit"] == "ส.จ."
    assert event["text"].startswith(EDITED) and SECRET_WORDS not in event["text"]
    district = client.get("/v1/districts/3706/stories", headers=CENTRE).get_json()["stories"]
    assert {s["story_id"] for s in district} == {WITH, WITHOUT}
    audit = client.get("/v1/stories-audit", headers=CENTRE)
    rows = list(csv.reader(io.StringIO(audit.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r[3] for r in rows[1:]] == ["told", "told", "edit", "approve"]
    assert rows[4][4] == "ผู้ตรวจ ก" and re.match(r"\d+ .+ 25\d\d", rows[1][0])  # Buddhist-Era dates
    assert SECRET_WORDS not in audit.get_data(as_text=True)
    xlsx = client.get("/v1/stories-audit?format=xlsx", headers=CENTRE)
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    # The platform's own loggers (a store or Kafka client's DEBUG lines echo commands; production logs at INFO)
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records
                      if r.name.startswith(("services.", "shared.")))
    assert SECRET_WORDS not in logged
    assert SECRET_WORDS not in client.get("/metrics").get_data(as_text=True)


def test_the_chief_is_told_once_when_a_story_about_the_district_is_published(settings, notify, feed):
    load_directory(notify, "https://hooks.example.org/x")  # the chief of 3706: LINE, e-mail and a webhook
    feed(told(WITH, True))
    client = create_app(notify).test_client()
    client.post(f"/v1/stories/{WITH}/edit", json={"text": EDITED, "by": "ผู้ตรวจ ก"}, headers=CENTRE)
    assert client.post(f"/v1/stories/{WITH}/approve", json={"by": "ผู้ตรวจ ก"}, headers=CENTRE).status_code == 200
    messages = list(notify.store.outbox.find({"keys": {"$regex": f"^story-{WITH}"}}))
    assert {m["receiver"] for m in messages} == {"chief:3706/line", "chief:3706/email", "chief:3706/webhook"}
    content = messages[0]["content"]
    assert "เรื่องเล่าความประทับใจได้เผยแพร่" in content["subject"] and EDITED in content["text"]
    assert SECRET_WORDS not in str(content) and content["payload"]["type"] == "story_published"
    assert client.post(f"/v1/stories/{WITH}/approve", json={"by": "ผู้ตรวจ ก"}, headers=CENTRE).status_code == 200
    assert notify.store.outbox.count_documents({"keys": {"$regex": f"^story-{WITH}"}}) == 3  # once per receiver


def test_a_story_without_consent_is_never_approved_by_the_api_or_the_page(settings, notify, feed):
    feed(told(WITHOUT, False))
    client = create_app(notify).test_client()
    refused = client.post(f"/v1/stories/{WITHOUT}/approve", json={"by": "ผู้ตรวจ ก"}, headers=CENTRE)
    assert refused.status_code == 409 and refused.get_json()["error"] == "no_consent"
    client.post(f"/v1/stories/{WITHOUT}/edit", json={"text": EDITED, "by": "ผู้ตรวจ ก"}, headers=CENTRE)
    assert client.post(f"/v1/stories/{WITHOUT}/approve", json={"by": "x"}, headers=CENTRE).status_code == 409
    login = client.get("/centre")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.get_data(as_text=True)).group(1)
    assert client.post("/centre/login", data={"csrf": csrf, "key": CENTRAL_KEY}).status_code == 303
    page = client.get("/centre/stories")
    assert page.status_code == 200 and "ไม่ใช่ (เผยแพร่ไม่ได้)" in page.get_data(as_text=True)
    by_form = client.post(f"/centre/stories/{WITHOUT}/approve", data={"csrf": csrf, "by": "ผู้ตรวจ ก"})
    assert by_form.status_code == 409 and "no_consent" in by_form.get_data(as_text=True)
    assert notify.story_store.get(WITHOUT).status == "new"
    assert published(settings) == []


def test_a_withdrawal_takes_an_approved_story_out_at_once_and_erases_it(settings, notify, feed):
    feed(told(WITH, True))
    client = create_app(notify).test_client()
    assert client.post(f"/v1/stories/{WITH}/approve", json={"by": "ผู้ตรวจ ก"}, headers=CENTRE).status_code == 200
    feed(StoryEvent(WITH, "withdrawn", "3706", "qr", utcnow()))
    [(_, first), (_, last)] = published(settings)
    assert (first["status"], last["status"], last["text"]) == ("published", "withdrawn", "")
    story = client.get(f"/v1/stories/{WITH}", headers=CENTRE).get_json()
    assert story["status"] == "withdrawn" and story["original"] == "" and story["edited"] is None
    again = client.post(f"/v1/stories/{WITH}/approve", json={"by": "ผู้ตรวจ ก"}, headers=CENTRE)
    assert again.status_code == 409 and again.get_json()["error"] == "withdrawn"
    feed(told(WITH, True))  # a replay of the telling does not bring it back
    assert notify.story_store.get(WITH).status == "withdrawn"


def test_the_queue_is_the_centres_only(settings, notify, feed):
    feed(told(WITH, True))
    client = create_app(notify).test_client()
    for path in ("/v1/stories", f"/v1/stories/{WITH}", "/v1/stories-audit", "/v1/districts/3706/stories"):
        response = client.get(path)
        assert response.status_code == 401 and SECRET_WORDS not in response.get_data(as_text=True)
    assert client.post(f"/v1/stories/{WITH}/approve", json={"by": "x"}).status_code == 401
    page = client.get("/centre/stories")
    assert SECRET_WORDS not in page.get_data(as_text=True) and 'name="key"' in page.get_data(as_text=True)
    assert client.get("/centre/stories/audit.csv").status_code == 401
    assert client.get("/v1/stories?status=bogus", headers=CENTRE).status_code == 400
    assert client.get("/v1/stories/" + "x" * 5000, headers=CENTRE).status_code == 404
    assert client.post(f"/v1/stories/{WITH}/publish", json={"by": "x"}, headers=CENTRE).status_code == 404
    assert client.post(f"/v1/stories/{WITH}/reject", json={"by": "x"}, headers=CENTRE).status_code == 400
    assert client.post(f"/v1/stories/{WITH}/reject", data="[", headers=CENTRE).status_code in (400, 415)


def test_shortlisted_then_rejected_with_a_reason_leaves_the_public(settings, notify, feed):
    feed(told(WITH, True), told(WITHOUT, False))
    client = create_app(notify).test_client()
    listed = client.post(f"/v1/stories/{WITHOUT}/shortlist", json={"list": "film", "by": "ผู้ตรวจ ข"}, headers=CENTRE)
    assert listed.status_code == 200 and listed.get_json()["shortlist"] == ["film"]
    films = client.get("/v1/stories?shortlist=film", headers=CENTRE).get_json()["stories"]
    assert [s["story_id"] for s in films] == [WITHOUT]  # a story kept for a film needs no consent to publish
    assert client.post(f"/v1/stories/{WITH}/shortlist", json={"list": "tv", "by": "x"}, headers=CENTRE).status_code \
        == 400
    assert client.post(f"/v1/stories/{WITH}/approve", json={"by": "ผู้ตรวจ ก"}, headers=CENTRE).status_code == 200
    rejected = client.post(f"/v1/stories/{WITH}/reject", json={"reason": "มีชื่อบุคคลที่สาม", "by": "ผู้ตรวจ ข"},
                           headers=CENTRE)
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    assert rejected.get_json()["reason"] == "มีชื่อบุคคลที่สาม" and rejected.get_json()["public"] is False
    [(_, first), (_, last)] = published(settings)
    assert (first["status"], last["status"]) == ("published", "withdrawn")
    audit = client.get("/v1/stories-audit", headers=CENTRE).get_data(as_text=True)
    assert "มีชื่อบุคคลที่สาม" in audit and "ผู้ตรวจ ข" in audit and "film" in audit


def test_an_approval_kafka_does_not_acknowledge_is_a_503_and_nothing_is_public(settings, feed):
    from dataclasses import replace

    from tests.support.processes import free_port

    away = replace(settings, kafka_bootstrap=f"127.0.0.1:{free_port()}")  # no broker there
    notify = built(away, Clock(utcnow()), line_url="http://127.0.0.1:9", smtp_port=9)
    feed(told(WITH, True))
    client = create_app(notify).test_client()
    refused = client.post(f"/v1/stories/{WITH}/approve", json={"by": "ผู้ตรวจ ก"}, headers=CENTRE)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    story = client.get(f"/v1/stories/{WITH}", headers=CENTRE).get_json()
    assert (story["status"], story["public"]) == ("new", False)
    assert published(settings) == []

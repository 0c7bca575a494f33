"""The stories' moderation state rebuilt from Kafka (issue 21), on the real broker and store.

Stories are told on ingest's QR pages (one withdrawn later with its code), notify's consumer writes reads
them from stories.v1, the centre decides through its HTTP routes (each decision logged to
stories.decisions.v1 before it is applied), then notify's story collections are dropped and
`sangsuk stories rebuild` (the real CLI, a subprocess) must give back the same documents, twice; nothing
withdrawn or unconsented is public after it. A decision Kafka does not acknowledge is a 503 and not applied.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from kafka import KafkaProducer

from services.channels.config import ChannelsConfig
from services.ingest.app import create_app as ingest_app
from services.ingest.auth import ChannelKeys
from services.ingest.bootstrap import bootstrap as ingest_bootstrap
from services.ingest.config import IngestConfig
from services.notify.app import create_app as notify_app
from shared import mongo
from shared.events import PublishedStoryEvent
from shared.stream.log_reader import end_offsets, read_log
from shared.timeutil import utcnow
from tests.integration.ingest_env import KEYS, PUBLIC_BASE_URL
from tests.integration.notify_env import CENTRAL_KEY, built
from tests.support.fakes import Clock
from tests.support.kafka_read import read_topic
from tests.support.processes import free_port

CENTRE = {"Authorization": f"Bearer {CENTRAL_KEY}"}
STORY = "เจ้าหน้าที่งานบัตรช่วยเหลือเกินความคาดหมาย เรื่องที่ {n} ขอบคุณมาก"
EDITED = "เจ้าหน้าที่ช่วยเหลือเกินความคาดหมาย (ฉบับตรวจแล้ว)"


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def ingest(settings):
    app = ingest_app(ingest_bootstrap(IngestConfig(platform=settings, ip_limit_per_minute=10**9),
                                      channels=ChannelsConfig(public_base_url=PUBLIC_BASE_URL),
                                      keys=ChannelKeys({name: [key] for name, key in KEYS.items()}),
                                      voter_secret=b"story-rebuild-secret"))
    return app


def tell(app, n: int, *, publish: bool) -> str:
    """Vote 5 on 3706's QR page and tell story n on the thank-you page; the withdrawal code shown. Each story
    from its own phone (a device votes once a day in a district)."""
    ingest = app.test_client()
    token = _token(ingest.get("/d/3706").get_data(as_text=True))
    voted = ingest.post("/d/3706", data={"csrf_token": token, "score": "5"})
    assert voted.status_code == 303
    ticket = parse_qs(urlsplit(voted.headers["Location"]).query)["s"][0]
    html = ingest.get(voted.headers["Location"]).get_data(as_text=True)
    told = ingest.post("/d/3706/story", data={"csrf_token": _token(html), "s": ticket, "story": STORY.format(n=n),
                                              "publish": "yes" if publish else "no",
                                              "credit": "initials" if publish else "anonymous",
                                              "name": "สมศรี ใจดี" if publish else ""})
    assert told.status_code == 200, told.get_data(as_text=True)[:500]
    return re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", told.get_data(as_text=True)).group(0)


@pytest.fixture
def consume(settings, notify):
    """notify's consumer's work on stories.v1, records read from the real topic (start to end, so a second
    call replays the first's too: the consumer's writes are idempotent); its sink is the real broker."""
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    processor = notify.processor(digest=SimpleNamespace(run_if_due=lambda now: 0),
                                 sink=SimpleNamespace(send=lambda topic, key, value: producer.send(topic, key=key,
                                                                                                  value=value)))

    def run() -> None:
        read_log(settings, end_offsets(settings, [settings.topics.stories]), processor.handle, whole=False)
        producer.flush()

    yield run
    producer.close()


@pytest.fixture
def notify(settings):
    return built(settings, Clock(utcnow()), line_url="http://127.0.0.1:9", smtp_port=9)


def state(settings) -> dict[str, list[dict]]:
    db = mongo.database(settings)
    return {name: sorted(db[name].find({}), key=lambda d: d["_id"]) for name in ("notify_stories",
                                                                                 "notify_story_audit")}


def rebuild(settings) -> dict:
    env = {"KAFKA_BOOTSTRAP": settings.kafka_bootstrap, "MONGO_URI": settings.mongo_uri, "MONGO_DB": settings.mongo_db,
           "TOPIC_STORIES": settings.topics.stories, "TOPIC_STORIES_PUBLISHED": settings.topics.stories_published,
           "TOPIC_STORIES_DECISIONS": settings.topics.stories_decisions, "TOPIC_VOTES": settings.topics.votes,
           "TOPIC_COMMENTS": settings.topics.comments, "TOPIC_SCORES": settings.topics.scores,
           "TOPIC_BALLOTS": settings.topics.ballots, "TOPIC_VOTES_DLQ": settings.topics.votes_dlq,
           "VOTES_PARTITIONS": str(settings.votes_partitions), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "shared.cli", "stories", "rebuild", "--quiet"], env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def last_public(settings) -> dict[str, dict]:
    return {key.decode(): value for key, value in read_topic(settings.kafka_bootstrap,
                                                             settings.topics.stories_published)}


def test_the_moderation_state_is_rebuilt_from_the_log_exactly_and_twice(settings, ingest, notify, consume):
    codes = [tell(ingest, n, publish=n != 3) for n in range(1, 6)]
    consume()
    centre = notify_app(notify).test_client()
    queue = centre.get("/v1/stories", headers=CENTRE).get_json()["stories"]
    by_n = {int(re.search(r"เรื่องที่ (\d)", s["original"]).group(1)): s["story_id"] for s in queue}
    assert sorted(by_n) == [1, 2, 3, 4, 5]
    kept, rejected, private, withdrawn, untouched = (by_n[n] for n in range(1, 6))

    def decide(story_id: str, action: str, expect: int = 200, **body) -> None:
        answer = centre.post(f"/v1/stories/{story_id}/{action}", json={"by": "ผู้ตรวจ ก", **body}, headers=CENTRE)
        assert answer.status_code == expect, answer.get_json()

    decide(kept, "edit", text=EDITED)
    decide(kept, "approve")
    decide(kept, "shortlist", list="film")
    decide(rejected, "approve")
    decide(rejected, "reject", reason="มีชื่อบุคคลที่สาม")
    decide(private, "shortlist", list="film")
    decide(private, "approve", expect=409)  # no consent: refused before anything is logged
    decide(withdrawn, "shortlist", list="award")
    decide(withdrawn, "approve")
    citizen = ingest.test_client()
    form = citizen.get("/d/withdraw").get_data(as_text=True)
    assert citizen.post("/d/withdraw", data={"csrf_token": _token(form), "code": codes[3]}).status_code == 200
    consume()
    decide(withdrawn, "approve", expect=409)
    live = state(settings)
    assert len(live["notify_stories"]) == 5
    assert {s["_id"]: s["status"] for s in live["notify_stories"]} == {
        kept: "approved", rejected: "rejected", private: "new", withdrawn: "withdrawn", untouched: "new"}
    assert live["notify_stories"] == sorted(live["notify_stories"], key=lambda d: d["_id"])
    logged = read_topic(settings.kafka_bootstrap, settings.topics.stories_decisions)
    assert [v["action"] for _, v in logged if v["story_id"] == kept] == ["edit", "approve", "shortlist"]
    assert len(logged) == 8

    db = mongo.database(settings)
    db.drop_collection("notify_stories")
    db.drop_collection("notify_story_audit")
    assert state(settings) == {"notify_stories": [], "notify_story_audit": []}

    first = rebuild(settings)
    assert {k: first[k] for k in ("told", "withdrawn", "decisions", "duplicate_decisions", "unreadable_records",
                                  "published_sent", "withdrawn_sent")} == {
        "told": 5, "withdrawn": 1, "decisions": 8, "duplicate_decisions": 0, "unreadable_records": 0,
        "published_sent": 0, "withdrawn_sent": 0}
    assert state(settings) == live  # every field, the audit trail included
    second = rebuild(settings)
    assert state(settings) == live
    assert {k: v for k, v in second.items() if k != "seconds"} == {k: v for k, v in first.items() if k != "seconds"}

    rebuilt = {d["_id"]: d for d in state(settings)["notify_stories"]}
    assert (rebuilt[withdrawn]["text"], rebuilt[withdrawn]["public"], rebuilt[withdrawn]["shortlist"]) == ("", False,
                                                                                                           [])
    assert rebuilt[private]["public"] is False and rebuilt[private]["shortlist"] == ["film"]
    assert rebuilt[kept]["public"] is True and rebuilt[kept]["edited"] == EDITED
    public = last_public(settings)
    assert public[kept]["status"] == "published" and public[kept]["text"] == EDITED
    assert public[withdrawn]["status"] == public[rejected]["status"] == "withdrawn"
    assert private not in public and untouched not in public
    centre = notify_app(notify).test_client()
    assert centre.get(f"/v1/stories/{withdrawn}", headers=CENTRE).get_json()["status"] == "withdrawn"


def test_the_rebuild_takes_out_a_public_copy_the_state_does_not_allow(settings, ingest, consume):
    """A `published` record for a story without consent (however it got there) and one for a story the log
    does not know: the rebuild sends their withdrawal and marks nothing public."""
    tell(ingest, 1, publish=False)
    consume()
    [(key, _)] = read_topic(settings.kafka_bootstrap, settings.topics.stories)
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    for story_id in (key.decode(), "f" * 32):
        forged = PublishedStoryEvent(story_id, "3706", "published", utcnow(), text="ไม่ควรเผยแพร่")
        producer.send(settings.topics.stories_published, key=forged.key, value=forged.to_bytes()).get(timeout=30)
    producer.close()
    summary = rebuild(settings)
    assert (summary["published_sent"], summary["withdrawn_sent"]) == (0, 2)
    public = last_public(settings)
    assert public[key.decode()]["status"] == public["f" * 32]["status"] == "withdrawn"
    assert [d["public"] for d in state(settings)["notify_stories"]] == [False]
    assert rebuild(settings)["withdrawn_sent"] == 0


@pytest.mark.parametrize("action,body", [("edit", {"text": EDITED}), ("approve", {}),
                                         ("reject", {"reason": "ไม่เหมาะสม"}), ("shortlist", {"list": "film"})])
def test_a_decision_kafka_does_not_acknowledge_is_a_503_and_is_not_applied(settings, ingest, consume, action, body):
    tell(ingest, 1, publish=True)
    consume()
    away = built(replace(settings, kafka_bootstrap=f"127.0.0.1:{free_port()}"), Clock(utcnow()),
                 line_url="http://127.0.0.1:9", smtp_port=9)  # no broker there
    before = state(settings)
    [story] = before["notify_stories"]
    client = notify_app(away).test_client()
    refused = client.post(f"/v1/stories/{story['_id']}/{action}", json={"by": "ผู้ตรวจ ก", **body}, headers=CENTRE)
    assert refused.status_code == 503 and refused.get_json()["error"] == "unavailable"
    assert refused.headers["Retry-After"] == "5"
    assert state(settings) == before  # the story and the audit trail untouched
    assert read_topic(settings.kafka_bootstrap, settings.topics.stories_decisions) == []

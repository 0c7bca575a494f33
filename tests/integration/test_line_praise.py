"""LINE's praise question (issue 19) end to end on the real servers: signed webhooks into ingest under gunicorn
(its answers recorded by the local LINE stand-in), scoring's consumer as a process joining each praise and
comment to its vote on ballots.v1, then SIGKILLed and replayed from the start of the log onto the same store,
and notify's ballots processor (fed every ballot twice) counting praise per unit and per person.

- vote 5, a unit tapped, then a comment as a later message: the unit counted once, the comment kept;
- vote 4, a name typed ("พี่สมศรี งานทะเบียน"), then a comment: the person (and the unit named) counted once;
- vote 2: no question; vote 5 then skip: nothing counted;
- the district's own unit (notify's directory, set by the centre) is offered first and counted.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import requests

from services.ingest.line.praise_units import DistrictUnits, MongoPraiseUnits
from services.notify.praise_counts import count_praise
from services.scoring.domain import Vote
from services.scoring.store import ScoringStore
from shared import mongo
from shared.praise import DEFAULT_UNITS
from shared.timeutil import bangkok_day, utcnow
from tests.integration.notify_env import built
from tests.support import line_api as line
from tests.support.fakes import Clock
from tests.support.kafka_read import committed_on, read_topic
from tests.support.processes import ServiceProcess
from tests.support.scoring import ConsumerProcess, scoring_env, wait_until

pytestmark = pytest.mark.integration
DISTRICT = "4408"  # พยัคฆภูมิพิสัย, มหาสารคาม
OWN = [{"id": "mobile_office", "th": "อำเภอเคลื่อนที่", "en": "Mobile office", "aliases": ["หน่วยเคลื่อนที่"]}]


def _post(ingest, *events) -> None:
    body = line.payload(*events)
    r = requests.post(ingest.url + "/v1/channels/line/webhook", data=body, timeout=15,
                      headers={"Content-Type": "application/json", "X-Line-Signature": line.sign(body)})
    assert r.status_code == 200, r.text


def _ballot_records(settings) -> list[SimpleNamespace]:
    return [SimpleNamespace(value=json.dumps(b, ensure_ascii=False).encode())
            for _, b in read_topic(settings.kafka_bootstrap, settings.topics.ballots)]


def _labels(reply: dict) -> list[str]:
    return [i["action"]["label"] for i in reply["messages"][-1].get("quickReply", {}).get("items", [])]


def test_line_praise_reaches_notifys_counts_once_beside_the_comment(settings):
    db = mongo.database(settings)
    db.notify_praise.insert_one({"_id": DISTRICT, "units": OWN})  # the centre's list for this district
    group = f"scoring-{settings.mongo_db}"
    with line.FakeLineApi() as api, \
            ServiceProcess("services.ingest.wsgi:app", line.line_ingest_env(settings, api.url), workers=1,
                           threads=4) as ingest, \
            ConsumerProcess(scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-"))) as scorer:
        users = {name: line.user_id() for name in "ABCDE"}
        asked = {}
        for name, score in (("A", 5), ("B", 4), ("C", 2), ("D", 5), ("E", 5)):
            _post(ingest, line.text(users[name], "อำเภอพยัคฆภูมิพิสัย"))
            _post(ingest, line.postback(users[name], line.button_data(api.replies()[-1], str(score))))
            asked[name] = api.replies()[-1]
        assert _labels(asked["C"]) == [] and len(asked["C"]["messages"]) == 1  # a vote of 2: no question
        labels = _labels(asked["A"])
        assert labels[0] == "อำเภอเคลื่อนที่" and labels[-1] == "ข้าม" and len(labels) <= 13
        assert asked["A"]["messages"][-1]["text"].startswith("อยากชมเจ้าหน้าที่หรืองานไหน")
        # scoring decides the votes first: the answers below take the live join
        wait_until(lambda: committed_on(settings.kafka_bootstrap, group, settings.topics.votes) == 5, 120,
                   "scoring to decide the five votes")
        _post(ingest, line.postback(users["A"], line.button_data(asked["A"], "บัตรประจำตัวประชาชน")))
        _post(ingest, line.text(users["A"], "ขอบคุณค่ะ ทำเสร็จเร็วมาก"))  # the comment, a later message
        _post(ingest, line.text(users["B"], "พี่สมศรี งานทะเบียน"))
        _post(ingest, line.text(users["B"], "ที่จอดรถไม่พอ"))
        _post(ingest, line.postback(users["D"], line.button_data(asked["D"], "ข้าม")))
        _post(ingest, line.postback(users["E"], line.button_data(asked["E"], "อำเภอเคลื่อนที่")))
        wait_until(lambda: committed_on(settings.kafka_bootstrap, group, settings.topics.comments) == 5, 120,
                   "scoring to join two comments and three praises")
        scorer.kill()  # SIGKILL
    messages = [m for _, m in read_topic(settings.kafka_bootstrap, settings.topics.comments)]
    assert sorted((bool(m["comment"]), m["staff"] is not None) for m in messages) == [
        (False, True)] * 3 + [(True, False)] * 2

    notify = built(settings, Clock(utcnow()), line_url="http://127.0.0.1:9", smtp_port=9)
    processor = notify.processor()
    today = bangkok_day(utcnow())

    def counted() -> tuple[dict, dict]:
        counts = count_praise(notify.feedback.praise_mentions(DISTRICT, today - timedelta(days=1), today),
                              notify.praise.directory(DISTRICT))
        return {c.key: c.votes for c in counts.units}, {c.key: c.votes for c in counts.people}

    expected = ({"id_card": 1, "civil_registration": 1, "mobile_office": 1}, {"สมศรี": 1})
    live = _ballot_records(settings)
    assert sum(len(json.loads(r.value)["ballots"]) for r in live) == 10  # 5 votes, 5 follow-ups (the live join)
    processor.handle(live)
    assert counted() == expected
    processor.handle(live)  # a redelivery
    assert counted() == expected

    # A replay after a kill: a consumer without offsets reads both topics again onto the same store; its vote
    # ballots now carry what the follow-ups joined (scoring's store holds it), and notify reads them all again.
    replay = f"scoring-replay-{settings.mongo_db}"
    with ConsumerProcess(scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-"), SCORING_GROUP_ID=replay)):
        wait_until(lambda: committed_on(settings.kafka_bootstrap, replay, settings.topics.votes) == 5
                   and committed_on(settings.kafka_bootstrap, replay, settings.topics.comments) == 5, 120,
                   "the replay")
    records = _ballot_records(settings)
    assert sum(len(json.loads(r.value)["ballots"]) for r in records) == 20  # 5 votes + 5 follow-ups, twice
    processor.handle(records)
    assert counted() == expected
    docs = {d["praise"]["unit_id"] if d["praise"] else d["comment"]: d
            for d in db.notify_feedback.find({"district": DISTRICT})}
    assert len(docs) == 3  # A, B, E; C and D said nothing
    assert docs["id_card"]["comment"] == "ขอบคุณค่ะ ทำเสร็จเร็วมาก" and docs["id_card"]["praise_counted"] is True
    assert docs["civil_registration"]["comment"] == "ที่จอดรถไม่พอ"
    assert docs["civil_registration"]["praise"]["person_key"] == "สมศรี"
    assert docs["mobile_office"]["comment"] == "" and docs["mobile_office"]["channel"] == "line"


def test_scorings_early_and_live_joins_on_the_store_keep_comment_and_praise(settings):
    store = ScoringStore(mongo.database(settings), prefix="praise_join")
    at = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    # before the vote: a praise, a comment, a second praise (which replaces the first)
    assert store.attach_comment("v-early", DISTRICT, "", at, "งานบัตร") is None
    assert store.attach_comment("v-early", DISTRICT, "ขอบคุณค่ะ", at + timedelta(minutes=1)) is None
    assert store.attach_comment("v-early", DISTRICT, "", at + timedelta(minutes=2), "พี่สมศรี") is None
    vote = Vote("v-early", DISTRICT, 5, at, at, 0, 3)
    recorded = store.record_votes([vote])
    assert [v.vote_id for v in recorded.to_count] == ["v-early"]
    early = recorded.early_comments["v-early"]
    assert (early.comment, early.staff) == ("ขอบคุณค่ะ", "พี่สมศรี")
    # after it: each message sets its own part only
    doc = store.attach_comment("v-early", DISTRICT, "อีกเรื่อง", at + timedelta(minutes=3))
    assert (doc["c"], doc["st"]) == ("อีกเรื่อง", "พี่สมศรี")
    doc = store.attach_comment("v-early", DISTRICT, "", at + timedelta(minutes=4), "งานทะเบียน")
    assert (doc["c"], doc["st"], doc["o"]) == ("อีกเรื่อง", "งานทะเบียน", 3)


def test_the_units_offered_are_the_districts_own_then_the_defaults_and_a_bad_document_gives_the_defaults(settings):
    db = mongo.database(settings)
    db.notify_praise.insert_many([{"_id": "3706", "units": OWN, "changes": []}, {"_id": "4408", "units": [{"id": 1}]},
                                  {"_id": "4712", "units": "not a list"}])
    now = [0.0]
    reader = MongoPraiseUnits(db.notify_praise, clock=lambda: now[0], ttl_s=60)
    own = reader.for_district("3706")
    assert own.own == ("mobile_office",) and [u.id for u in own.units] == [u.id for u in DEFAULT_UNITS] + [
        "mobile_office"]
    for code in ("4408", "4712", "1001"):  # malformed, malformed, no document
        assert reader.for_district(code) == DistrictUnits(DEFAULT_UNITS)
    db.notify_praise.update_one({"_id": "3706"}, {"$set": {"units": []}})
    assert reader.for_district("3706") == own  # within the minute: the cached list
    now[0] = 61.0
    assert reader.for_district("3706") == DistrictUnits(DEFAULT_UNITS)

"""The centre's view of what citizens said, the whole way on the real servers: comments posted through ingest
on three channels (kiosk, import, QR), scoring's consumer deciding them, notify's consumer writing the
feedback view and tagging each comment as it is counted; then the centre's API finds them by Thai words
and filters, counts their topics, and the service-improvement report's totals equal scoring's."""

from __future__ import annotations

import io
import sys
import tempfile
import time
import uuid

import pytest
import requests

from services.notify.app import create_app
from shared import mongo
from shared.districts import load_registry
from shared.events import VoteEvent
from shared.timeutil import bangkok_day, utcnow
from shared.topics import TAGGER_VERSION, default_tagger
from tests.integration.ingest_env import KEYS, ingest_env
from tests.integration.notify_env import CENTRAL_KEY, built, notify_env
from tests.support.fakes import Clock
from tests.support.processes import ManagedProcess, ServiceProcess
from tests.support.scoring import ConsumerProcess, producer, scoring_env, send_votes, stored_figures, wait_until

pytestmark = pytest.mark.integration
REGISTRY = load_registry()
A, B = "3706", "4408"
CENTRE = {"Authorization": f"Bearer {CENTRAL_KEY}"}


def post(ingest, channel: str, votes: list[dict]) -> None:
    r = requests.post(ingest.url + "/v1/votes/batch", json={"votes": votes}, timeout=30,
                      headers={"Authorization": f"Bearer {KEYS[channel]}"})
    assert r.status_code == 200 and r.json()["accepted"] == len(votes), r.text


def test_comments_from_three_channels_are_tagged_searchable_and_reported_as_scoring_counted(settings):
    env = notify_env(settings, line_url="http://127.0.0.1:9", smtp_port=9,
                     NOTIFY_STATE_DIR=tempfile.mkdtemp(prefix="notify-state-"),
                     NOTIFY_GROUP_ID=f"notify-{settings.mongo_db}", NOTIFY_POLL_TIMEOUT_MS="200")
    notify_consumer = ManagedProcess([sys.executable, "-m", "services.notify.consumer"], env,
                                     log_prefix="notify-consumer-")
    now = utcnow()
    with ServiceProcess("services.ingest.wsgi:app", ingest_env(settings), workers=1, threads=4) as ingest, \
            ConsumerProcess(scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-"))), notify_consumer:
        posted = time.monotonic()
        post(ingest, "kiosk", [
            {"district_code": A, "score": 2, "comment": "รอนานมาก ห้องน้ำสกปรก", "service": "id_card"},
            {"district_code": A, "score": 5, "comment": "เจ้าหน้าที่ใจดี บริการรวดเร็ว", "service": "house_registration"},
            {"district_code": A, "score": 4}])
        post(ingest, "import", [
            {"district_code": B, "score": 1, "comment": "ระบบล่ม ต้องมาใหม่พรุ่งนี้", "service": "id_card",
             "submitted_at": now.isoformat()},
            {"district_code": B, "score": 3, "comment": "ที่จอดรถไม่พอ", "submitted_at": now.isoformat()}])
        post(ingest, "qr", [{"district_code": A, "score": 1, "comment": "รอ นาน เกินไป ไม่มีที่นั่ง",
                             "voter_id": "qr-" + uuid.uuid4().hex}])
        p = producer(settings)  # a vote ingest flagged (past a burst cap): kept out of the figures, counted apart
        send_votes(p, settings.topics.votes, [VoteEvent(uuid.uuid4().hex, A, 1, "แย่มาก", None, None, "kiosk", None,
                                                        now, now, flagged=True, flag_reason="address_burst")])
        p.close()

        notify = built(settings, Clock(now), line_url="http://127.0.0.1:9", smtp_port=9)
        client = create_app(notify).test_client()

        def found(query: str, want: int):
            body = client.get("/v1/comments?" + query, headers=CENTRE).get_json()
            return body if len(body["comments"]) == want else None

        body = wait_until(lambda: found("q=รอนาน", 2), 90, "the two comments about waiting long, tagged")
        print(f"comments searchable {time.monotonic() - posted:.1f} s after they were posted")
        wait_until(lambda: stored_figures(mongo.database(settings)) and
                   notify.tally.docs.count_documents({}) >= 2 and found("", 5), 60, "every comment and tally")
        report = wait_until(lambda: (lambda r: r if r["totals"]["votes"] == 6 and r["totals"]["flagged_votes"] == 1
                                     else None)(client.get("/v1/reports/service-improvement.json",
                                                           headers=CENTRE).get_json()), 60, "the tally")

    assert [c["channel"] for c in body["comments"]] == ["qr", "kiosk"]  # newest first
    assert {c["comment"] for c in body["comments"]} == {"รอนานมาก ห้องน้ำสกปรก", "รอ นาน เกินไป ไม่มีที่นั่ง"}
    tagger = default_tagger()  # each comment tagged once, when counted, with the tagger's version kept
    assert all(c["topics"] == tagger.tag(c["comment"]) and c["tagger_version"] == TAGGER_VERSION
               for c in body["comments"]) and body["comments"][1]["topics"]["waiting"] == "negative"
    get = lambda q: client.get("/v1/comments?" + q, headers=CENTRE).get_json()["comments"]  # noqa: E731
    assert [c["comment"] for c in get("channel=import&service=id_card")] == ["ระบบล่ม ต้องมาใหม่พรุ่งนี้"]
    assert {c["district_code"] for c in get("aspect=facilities&polarity=negative")} == {A, B}
    assert [c["score"] for c in get(f"district={A}&polarity=positive")] == [5]
    assert get(f"province={REGISTRY.get(B).province_code}&score=3")[0]["comment"] == "ที่จอดรถไม่พอ"
    assert client.get("/v1/comments?aspect=queue&score=9", headers=CENTRE).status_code == 400
    assert client.get("/v1/comments").status_code == 401

    topics = client.get("/v1/topics", headers=CENTRE).get_json()
    assert topics["comments"] == 5 and topics["topics"]["facilities"]["negative"] == 3
    assert topics["by_service"]["id_card"]["comments"] == 2

    scoring = stored_figures(mongo.database(settings))
    today = bangkok_day(now).isoformat()
    rows = {r["district_code"]: r for r in report["districts"]}
    for code in (A, B):
        assert (rows[code]["votes"], rows[code]["sum"]) == (scoring[(code, today)]["n"], scoring[(code, today)]["s"])
    assert report["totals"]["votes"] == sum(v["n"] for v in scoring.values())
    assert rows[A]["flagged_votes"] == 1 and rows[A]["top_negative"].startswith("สถานที่และสิ่งอำนวยความสะดวก 2")

    xlsx = client.get("/v1/reports/service-improvement.xlsx", headers=CENTRE)
    assert xlsx.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.freeze_panes == "A2" and sheet.max_row == 1 + 878
    header = [c.value for c in sheet[1]]
    assert header[4] == "จำนวนโหวตที่นับ (votes)"
    assert sum(r[4] for r in sheet.iter_rows(min_row=2, values_only=True)) == report["totals"]["votes"]
    csv_body = client.get("/v1/reports/service-improvement.csv", headers=CENTRE).data
    assert csv_body.startswith("\ufeff".encode()) and "รหัสอำเภอ" in csv_body.decode("utf-8-sig").splitlines()[0]

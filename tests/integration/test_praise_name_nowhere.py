"""A citizen praises a staff member by name through ingest, on the API and on LINE (the name typed at the
praise question after a vote of 5); the whole platform runs (ingest, scoring's and ranking's consumers,
ranking's public site, notify's consumer and web). The name reaches the chief's and the centre's views, and
appears nowhere else: no public page or open-data file, no /metrics, no process log, no published event
outside votes.v1, comments.v1 (LINE's praise, read by scoring only) and ballots.v1 (whose contracts carry it
to those views: docs/events.md)."""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from kafka import KafkaConsumer, TopicPartition

from services.ranking.domain import GROUPS
from shared import mongo
from tests.integration.ingest_env import AUTH
from tests.integration.notify_env import CENTRAL_KEY, notify_env
from tests.support import line_api as line
from tests.support.processes import ManagedProcess, ServiceProcess
from tests.support.ranking import RankingConsumer, ranking_env
from tests.support.scoring import ConsumerProcess, scoring_env, wait_until

pytestmark = pytest.mark.integration

NAME = "วรรณวิสาข์"  # made up, in no other data of the platform
FORMS = (NAME, json.dumps(NAME)[1:-1], NAME.encode("utf-8").hex())  # as text, as a JSON \u escape, as hex bytes


def _leaks(text: str) -> bool:
    return any(form in text for form in FORMS)


def _raw_topic(bootstrap: str, topic: str) -> list[bytes]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not parts:
            return []
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        out: list[bytes] = []
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < ends[tp] for tp in parts) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                out += [(r.key or b"") + b"|" + (r.value or b"") for r in records]
        return out
    finally:
        consumer.close()


def test_a_praised_name_reaches_the_chief_and_the_centre_and_nowhere_else(settings):
    db = mongo.database(settings)
    scoring = scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-"))
    notify_vars = notify_env(settings, line_url="http://127.0.0.1:9", smtp_port=9,
                             NOTIFY_STATE_DIR=tempfile.mkdtemp(prefix="notify-state-"),
                             NOTIFY_GROUP_ID=f"notify-{settings.mongo_db}", NOTIFY_POLL_TIMEOUT_MS="200")
    ranking = ranking_env(settings, PUBLIC_BASE_URL="http://127.0.0.1")
    with line.FakeLineApi() as line_api, \
            ServiceProcess("services.ingest.wsgi:app", line.line_ingest_env(settings, line_api.url), workers=1,
                           threads=4) as ingest, \
            ConsumerProcess(scoring) as scorer, RankingConsumer(ranking) as ranker, \
            ManagedProcess([sys.executable, "-m", "services.notify.consumer"], notify_vars,
                           log_prefix="notify-consumer-") as notifier, \
            ServiceProcess("services.ranking.wsgi:app", ranking, workers=1, threads=4) as site, \
            ServiceProcess("services.notify.wsgi:app", notify_vars, workers=1, threads=4) as notify_web:
        votes = [{"district_code": "3706", "score": 5, "staff": f"พี่{NAME} งานบัตร", "comment": "บริการดีมาก",
                  "idempotency_key": "praise-1"},
                 {"district_code": "3706", "score": 4, "staff": f"คุณ {NAME}", "idempotency_key": "praise-2"}]
        r = requests.post(ingest.url + "/v1/votes/batch", json={"votes": votes}, headers=AUTH, timeout=30)
        assert [v["status"] for v in r.json()["results"]] == [202, 202], r.text
        user = line.user_id()  # LINE: a vote of 5, then the name typed at the praise question
        for event in (line.text(user, "3706"), None, line.text(user, f"น้อง{NAME} ห้องบัตร")):
            event = event or line.postback(user, line.button_data(line_api.replies()[-1], "5"))
            body = line.payload(event)
            assert requests.post(ingest.url + "/v1/channels/line/webhook", data=body, timeout=15, headers={
                "Content-Type": "application/json", "X-Line-Signature": line.sign(body)}).status_code == 200
        assert line_api.replies()[-1]["messages"][0]["text"].startswith("ได้รับคำชมแล้ว")
        wait_until(lambda: db.notify_feedback.count_documents({"district": "3706"}) == 3, 90,
                   "notify's feedback view")
        wait_until(lambda: '"votes": 3' in json.dumps(requests.get(site.url + "/v1/districts/3706/rank", timeout=10)
                                                    .json()), 90, "ranking's figures")

        # the chief's and the centre's views have it (the positive control)
        praise = requests.get(notify_web.url + "/v1/praise", headers={"Authorization": f"Bearer {CENTRAL_KEY}"},
                              timeout=30).json()["rows"]
        assert any(NAME in row["name"] for row in praise), praise
        assert sum(NAME in (d["praise"] or {}).get("text", "") for d in db.notify_feedback.find({})) == 3

        # every public route and open-data file
        pages = ["/", "/ranking/district/3706", "/ranking/province/37", "/ranking/search?q=3706", "/ranking/awards",
                 "/ranking/how", "/ranking/data", "/badge/3706.svg", "/v1/districts/3706/rank",
                 "/v1/exports/districts.csv", *(f"/ranking/board/{g}" for g in GROUPS),
                 *(f"/ranking/data/{g}.{ext}" for g in GROUPS for ext in ("csv", "json")),
                 *(f"/v1/leaderboards/{g}?window=7d&per_page=1000" for g in GROUPS)]
        seen_public = {path: requests.get(site.url + path, timeout=30) for path in pages}
        assert seen_public["/ranking/district/3706"].status_code == 200
        assert [p for p, resp in seen_public.items() if _leaks(resp.text)] == []
        assert not _leaks(requests.get(notify_web.url + "/inbox", timeout=10).text)  # notify's sign-in page

        # every /metrics
        for service in (ingest, site, notify_web):
            body = requests.get(service.url + "/metrics", timeout=30).text
            assert body and not _leaks(body), service.url

        # every published event outside the chief's and centre's feeds
        carried = {settings.topics.votes, settings.topics.comments, settings.topics.ballots}
        topics = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap).topics()
        ours = [t for t in topics if t.endswith(settings.mongo_db.removeprefix("test_")) and t not in carried]
        assert settings.topics.scores in ours
        assert [t for t in ours for raw in _raw_topic(settings.kafka_bootstrap, t)
                if _leaks(raw.decode("utf-8", "replace")) or NAME.encode().hex() in raw.hex()] == []
        assert any(NAME in raw.decode() for raw in _raw_topic(settings.kafka_bootstrap, settings.topics.ballots))
        assert any(NAME in raw.decode() for raw in _raw_topic(settings.kafka_bootstrap, settings.topics.comments))

        # every process's log
        logs = {p.log.name: Path(p.log.name).read_text(errors="replace")
                for p in (ingest, scorer, ranker, notifier, site, notify_web)}
        assert all(text for text in logs.values())
        assert [name for name, text in logs.items() if _leaks(text) or re.search(r"staff\"?: ?\"พี่", text)] == []

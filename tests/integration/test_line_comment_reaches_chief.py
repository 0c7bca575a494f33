"""A LINE comment sent as a second message (LINE's normal shape, on comments.v1) reaches the chief's page.

The whole way on the real servers: signed webhooks into ingest under gunicorn, scoring's consumer as a
process (it joins the comment to its vote and publishes the decisions on ballots.v1), notify following
those ballots into its store, and the chief's signed alert page showing the words.
"""

from __future__ import annotations

import json
import tempfile
from types import SimpleNamespace

import pytest
import requests

from services.notify.app import create_app
from services.notify.directory import parse_directory
from shared.events import decode_ballots
from shared.timeutil import utcnow
from tests.integration.notify_env import built, directory_csv
from tests.support import line_api as line
from tests.support.fakes import Clock
from tests.support.kafka_read import committed_on, read_topic
from tests.support.processes import ServiceProcess
from tests.support.scoring import ConsumerProcess, scoring_env, wait_until

pytestmark = pytest.mark.integration
DISTRICT = "4408"  # พยัคฆภูมิพิสัย, มหาสารคาม


def _post(ingest, *events):
    body = line.payload(*events)
    r = requests.post(ingest.url + "/v1/channels/line/webhook", data=body, timeout=15,
                      headers={"Content-Type": "application/json", "X-Line-Signature": line.sign(body)})
    assert r.status_code == 200, r.text


def test_a_comment_sent_as_a_second_line_message_shows_on_the_chiefs_page(settings):
    with line.FakeLineApi() as api:
        env = line.line_ingest_env(settings, api.url)
        with ServiceProcess("services.ingest.wsgi:app", env, workers=1, threads=4) as ingest:
            for n in range(4):  # four unhappy votes within minutes: the unhappy-burst rule's minimum
                user = line.user_id()
                _post(ingest, line.text(user, "อำเภอพยัคฆภูมิพิสัย"))
                _post(ingest, line.postback(user, line.button_data(api.replies()[-1], "1")))
                if n == 0:
                    _post(ingest, line.text(user, "ห้องน้ำสกปรกมาก รอนานเกินไป"))  # the second message
    [(_, comment)] = read_topic(settings.kafka_bootstrap, settings.topics.comments)
    assert comment["comment"] == "ห้องน้ำสกปรกมาก รอนานเกินไป"

    with ConsumerProcess(scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-"))):
        group = f"scoring-{settings.mongo_db}"
        wait_until(lambda: committed_on(settings.kafka_bootstrap, group, settings.topics.votes) == 4
                   and committed_on(settings.kafka_bootstrap, group, settings.topics.comments) == 1, 120,
                   "scoring to decide the votes and join the comment")
    ballots = [SimpleNamespace(value=json.dumps(b, ensure_ascii=False).encode())
               for _, b in read_topic(settings.kafka_bootstrap, settings.topics.ballots)]
    kinds = sorted(b.kind for r in ballots for b in decode_ballots(r.value))
    assert kinds == ["comment", "vote", "vote", "vote", "vote"]

    clock = Clock(utcnow())
    notify = built(settings, clock, line_url="http://127.0.0.1:9", smtp_port=9)
    # The chief's alert link works while the directory names them the district's chief (pages.py).
    rows = directory_csv("https://hooks.example.org/x") + (
        f"chief,{DISTRICT},ทดสอบ,นายอำเภอพยัคฆภูมิพิสัย,,chief{DISTRICT}@dopa.example,,,email,yes\n")
    notify.store.replace_directory(parse_directory(rows, notify.registry, allow_private=True))
    notify.processor().handle(ballots)
    alert = notify.store.alert(f"{DISTRICT}-unhappy_burst-1")
    assert alert is not None and alert.firing

    client = create_app(notify).test_client()
    page = client.get("/a/" + notify.links.token(alert.id, f"chief:{DISTRICT}")).get_data(as_text=True)
    assert "ห้องน้ำสกปรกมาก รอนานเกินไป" in page

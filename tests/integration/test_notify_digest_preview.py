"""`sangsuk digest preview`: the digest a chief would get, written and not sent, stating the public board's
rank (ranking's real web process over a seeded campaign); with the week's praise, three comments and the
inbox link. The centre's "send now" queues one, once a minute at most."""

from __future__ import annotations

import dataclasses
import email
import json
import stat
import uuid
from datetime import timedelta
from email.policy import default

import pytest
import requests

from services.notify.app import create_app
from services.notify.bootstrap import bootstrap
from services.notify.digest_preview import main, preview
from services.notify.directory import HEADER, parse_directory
from shared.events import VoteEvent
from shared.timeutil import utcnow
from tests.integration.notify_env import CENTRAL_KEY, notify_config
from tests.integration.test_notify_feedback_view import _records
from tests.support.fakes import Clock
from tests.support.site import running_site

pytestmark = pytest.mark.integration


def test_the_preview_states_the_boards_rank_and_the_weeks_feedback(infra, tmp_path):
    with running_site(infra, days=8, consumer=False) as site:
        board = requests.get(site.url + "/v1/leaderboards/small?window=7d&per_page=1000", timeout=30).json()
        entry = next(e for e in board["entries"] if e["rank"] is not None and e["rank"] > 1)
        code = entry["district_code"]
        ranked = sum(1 for e in board["entries"] if e["rank"] is not None)
        now = utcnow()
        config = dataclasses.replace(notify_config(site.settings, line_url="http://127.0.0.1:9", smtp_port=9),
                                     ranking_url=site.url)
        notify = bootstrap(config, clock=Clock(now))
        rows = [",".join(HEADER), f"chief,{code},ก,t,,chief{code}@dopa.example,,,email,yes"]
        notify.store.replace_directory(parse_directory("\n".join(rows) + "\n", notify.registry))
        said = [(1, "รอนาน", None), (5, "ดีมาก", "พี่นก งานบัตร"), (3, "พอใช้", None), (4, "", None),
                (5, "ประทับใจ", None)]
        at = [now - timedelta(minutes=9 - i) for i in range(len(said))]
        votes = [VoteEvent(str(uuid.uuid4()), code, score, text, staff, None, "qr", None, at[i], at[i])
                 for i, (score, text, staff) in enumerate(said)]
        notify.processor().handle(_records(votes))

        summary = preview(notify, code, tmp_path)
        assert (summary["rank"], summary["of"], summary["sent"]) == (entry["rank"], ranked, False)
        mail = email.message_from_bytes((tmp_path / code / "digest.eml").read_bytes(), policy=default)
        text = mail.get_body(("plain",)).get_content()
        assert f"อันดับ {entry['rank']} จาก {ranked} ในอำเภอขนาดเล็ก (7 วันล่าสุด)" in text
        assert "คำชมหน่วยงานในสัปดาห์: งานบัตรประจำตัวประชาชน 1" in text and "นก 1" in text
        assert "- (1) รอนาน" in text and "- (5) ประทับใจ" in text and "- (3) พอใช้" in text and "/inbox/enter/" in text
        assert text.count("\n- (") == 3  # three representative comments
        topics = next(t for t in text.splitlines() if t.startswith("เรื่องที่ประชาชนพูดถึงในสัปดาห์"))
        assert "(จาก 4 ความคิดเห็น)" in topics and "การรอคอย ติ 1 ชม 0" in topics  # tagged when counted
        line = json.loads((tmp_path / code / "line.json").read_text())
        assert f"อันดับ {entry['rank']} จาก {ranked}" in line[0]["text"]
        for name in ("digest.eml", "line.json", "digest.txt", "digest.html"):
            assert stat.S_IMODE((tmp_path / code / name).stat().st_mode) == 0o600
        assert notify.store.outbox.count_documents({}) == 0  # nothing sent
        assert main(["preview", "--district", "99"], notify) == 2
        assert main(["preview", "--district", code, "--out", str(tmp_path / "cli")], notify) == 0
        assert (tmp_path / "cli" / code / "digest.eml").exists() and notify.store.outbox.count_documents({}) == 0

        client = create_app(notify).test_client()
        auth = {"Authorization": f"Bearer {CENTRAL_KEY}"}
        assert client.post(f"/v1/digest/{code}/send").status_code == 401
        r = client.post(f"/v1/digest/{code}/send", headers=auth)
        assert r.status_code == 202 and r.get_json()["queued"] == 1
        assert client.post(f"/v1/digest/{code}/send", headers=auth).get_json()["queued"] == 0  # same minute
        assert client.post("/v1/digest/9999/send", headers=auth).status_code == 404
        other = next(d.code for d in notify.registry if d.code != code)
        assert client.post(f"/v1/digest/{other}/send", headers=auth).status_code == 409

"""The public site on real servers: ranking's gunicorn web process over a seeded campaign in the real
document store, its real consumer applying scores.v1 from the real broker; the local nginx proxy routing
the site's paths to ranking and the rest to ingest."""

from __future__ import annotations

import json
import re

import pytest
import requests
from kafka import KafkaProducer

from services.ranking.manifest import MANIFEST
from shared.timeutil import bangkok_day, iso_utc, utcnow
from tests.support.processes import free_port
from tests.support.proxy import ProxyProcess
from tests.support.scoring import wait_until
from tests.support.site import running_site

COMMENT = "เจ้าหน้าที่ไม่สุภาพมาก โทร 0812345678"
PATHS = ["/", "/?window=7d&lang=en", "/ranking/board/small?page=2", "/ranking/district/3706",
         "/ranking/province/37", "/ranking/awards", "/ranking/how", "/ranking/data", "/ranking/data/medium.json",
         "/badge/3706.svg"]


@pytest.fixture(scope="module")
def site(infra):
    with running_site(infra, days=8) as s:
        yield s


def scores_event(code: str, votes: int, comment: str) -> bytes:
    window = {"from": None, "to": None, "votes": votes, "sum": votes * 5, "mean": 5.0,
              "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": votes}, "last_vote_at": None}
    now = utcnow()
    return json.dumps({"schema": "scores.v1", "district_code": code, "day": bangkok_day(now).isoformat(),
                       "as_of": iso_utc(now), "votes_offset": 10_000_000,
                       "windows": {"campaign": window, "last_7_days": window, "last_30_days": window},
                       "latest_comments": [{"vote_id": "v1", "score": 1, "comment": comment, "at": iso_utc(now)}]},
                      ensure_ascii=False).encode()


@pytest.mark.parametrize("path", PATHS)
def test_pages_from_a_real_server_carry_etag_cache_control_and_answer_304(site, path):
    first = requests.get(site.url + path, timeout=30)
    assert first.status_code == 200, first.text[:300]
    assert first.headers["Cache-Control"].startswith("public, max-age=") and first.headers["ETag"]
    again = requests.get(site.url + path, headers={"If-None-Match": first.headers["ETag"]}, timeout=30)
    assert again.status_code == 304 and again.content == b""


def test_a_standing_through_the_real_consumer_shows_up_and_its_comment_never_does(site):
    """A scores.v1 standing with a comment goes through Kafka and ranking's consumer; the site shows the
    district's new figures within seconds, and no page, file or badge carries the comment."""
    producer = KafkaProducer(bootstrap_servers=site.settings.kafka_bootstrap, acks="all")
    producer.send(site.settings.topics.scores, key=b"4712", value=scores_event("4712", 4321, COMMENT)).get(timeout=30)
    producer.close()
    page = wait_until(lambda: (lambda t: t if ">4,321<" in t else None)(
        requests.get(site.url + "/ranking/district/4712", timeout=30).text), 60, "the district page's new count")
    assert "อันดับ 1 จาก 95 อำเภอขนาดใหญ่" in page  # 4,321 votes of 5 top the large group
    for path in [*PATHS, "/ranking/district/4712", "/ranking/board/large", "/ranking/data/large.csv",
                 "/badge/4712.svg", "/ranking/province/47"]:
        body = requests.get(site.url + path, timeout=30).text
        assert COMMENT not in body and "0812345678" not in body and "ไม่สุภาพ" not in body, path
    badge = requests.get(site.url + "/badge/4712.svg", timeout=30).text
    assert "อันดับ 1 จาก 95 อำเภอขนาดใหญ่" in badge


def test_bad_input_never_reaches_a_500(site):
    cases = {"/ranking/board/x": 404, "/ranking/board/small?page=abc": 400, "/?window=%00": 400,
             "/ranking/search?q=%ED%A0%80": 400, "/ranking/search?q=" + "ก" * 120: 400, "/?lang=zz": 400,
             "/ranking/district/99999": 404, "/badge/0000.svg": 404, "/ranking/nothing": 404,
             "/ranking/static/%2e%2e/app.py": 404, "/?" + "a" * 5000: 414}
    for path, status in cases.items():
        response = requests.get(site.url + path, timeout=30)
        assert response.status_code == status, (path, response.status_code, response.text[:200])


def test_stale_note_when_the_consumer_is_killed_and_pages_still_render(infra):
    with running_site(infra, days=2, award=None) as s:
        assert 'id="stale-note"' not in requests.get(s.url + "/", timeout=30).text
        # Stop the consumer as a crash would (its heartbeat stops; RANKING_HEARTBEAT_STALE_S is 10 here).
        consumer = next(iter(_consumers()))
        consumer.kill()
        page = wait_until(lambda: (lambda t: t if 'id="stale-note"' in t else None)(
            requests.get(s.url + "/ranking/district/3706", timeout=30).text), 60, "the stale note")
        assert re.search(r"หน้านี้แสดงข้อมูล ณ \d{1,2} \S+ 25\d\d เวลา \d\d:\d\d น\.", page)
        assert requests.get(s.url + "/ranking/board/small", timeout=30).status_code == 200


def _consumers():
    """The RankingConsumer processes running_site started (found through the class's live instances)."""
    import gc

    from tests.support.ranking import RankingConsumer

    return [o for o in gc.get_objects() if isinstance(o, RankingConsumer) and o.proc and o.proc.poll() is None]


def test_the_local_proxy_routes_the_site_to_ranking_and_the_rest_to_ingest(site):
    ranking_port = int(site.url.rsplit(":", 1)[1])
    routes = [("ranking", path, ranking_port) for path in MANIFEST.public_paths]
    with ProxyProcess(free_port(), routes=routes) as proxy:  # no ingest behind it: its routes answer 503
        home = requests.get(proxy.url + "/?lang=en", timeout=30)
        assert home.status_code == 200 and "Happiness ranking of 878 districts" in home.text
        assert requests.get(proxy.url + "/ranking/district/3706", timeout=30).status_code == 200
        assert requests.get(proxy.url + "/badge/3706.svg", timeout=30).headers["Content-Type"].startswith("image/svg")
        assert requests.get(proxy.url + "/v1/awards/2569-Q4", timeout=30).json()["name"] == "2569-Q4"
        font = requests.get(proxy.url + "/ranking/static/fonts/NotoSansThaiLatin-Regular.ttf", timeout=30)
        assert font.status_code == 200 and len(font.content) > 10_000
        for path in ("/d/3706", "/v1/votes", "/assets/fonts/NotoSansThaiLatin-Regular.ttf", "/openapi.json",
                     "/v1/leaderboards/small"):
            response = requests.get(proxy.url + path, timeout=30)
            assert response.status_code == 503 and response.json()["error"] == "unavailable", path  # ingest's
        assert requests.get(proxy.url + "/metrics", timeout=30).status_code == 404

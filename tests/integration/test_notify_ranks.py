"""Notify reads ranking's answer through a schema (issue 22): against a real HTTP peer, a good answer is read and
every answer that is not one (not JSON, a wrong type, a negative count, another district, too long, an error
status) makes the digest say the rank is unavailable instead of failing or stating a rank made of it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from services.notify.digest import WeeklyDigest
from services.notify.ranks import MAX_ANSWER_BYTES, RankingClient
from shared.districts import load_registry
from tests.support.notify_peers import RankingPeer

WINDOW = {"rank": 2, "ranked": 40, "score": 4.1, "mean": 4.25, "votes": 12, "eligible": True, "votes_needed": 0,
          "sources_needed": 0, "movement": {"status": "up", "places": 1, "previous_rank": 3}, "history": []}
GOOD = {"district_code": "3706", "name_th": "ก", "group": "small", "formula": {"name": "bayes", "params": {}},
        "windows": {"7d": WINDOW, "30d": WINDOW, "campaign": WINDOW}}


def answer(**window) -> bytes:
    return json.dumps({**GOOD, "windows": {"7d": {**WINDOW, **window}}}).encode()


BAD = {
    "not JSON": (200, b"<html>502 Bad Gateway</html>"),
    "not UTF-8": (200, b"\xff\xfe"),
    "a list": (200, b"[1, 2]"),
    "no windows": (200, json.dumps({"district_code": "3706"}).encode()),
    "windows a list": (200, json.dumps({**GOOD, "windows": []}).encode()),
    "rank a string": (200, answer(rank="1")),
    "rank a boolean": (200, answer(rank=True)),
    "votes negative": (200, answer(votes=-4)),
    "mean a string": (200, answer(mean="4.2")),
    "movement a list": (200, answer(movement=[1])),
    "movement unknown": (200, answer(movement={"status": "sideways", "places": 1})),
    "another district": (200, json.dumps({**GOOD, "district_code": "4408"}).encode()),
    "too long": (200, answer(history=["x" * 1000] * (MAX_ANSWER_BYTES // 1000 + 1))),
    "nested deeply": (200, b'{"district_code":"3706","windows":' + b"[" * 50_000 + b"]" * 50_000 + b"}"),
    "an error status": (500, b'{"error":"internal"}'),
}


def test_a_good_answer_is_read():
    with RankingPeer([(200, json.dumps(GOOD).encode())]) as peer:
        got = RankingClient(peer.url).district("3706")
    assert got["windows"]["7d"]["rank"] == 2 and got["windows"]["7d"]["movement"]["status"] == "up"
    assert peer.requests == [{"path": "/v1/districts/3706/rank"}]


@pytest.mark.parametrize("name", list(BAD))
def test_an_answer_that_is_not_rankings_is_handled_as_no_answer(name, caplog):
    with RankingPeer([BAD[name]]) as peer:
        client = RankingClient(peer.url)
        got = client.district("3706")
        assert got is None
        district = load_registry().get("3706")
        message = WeeklyDigest(None, None, None, None, frozenset(), client).render(
            district, date(2026, 11, 16), date(2026, 11, 22), got, [], datetime(2026, 11, 23, 1, tzinfo=UTC))
    assert "ยังอ่านอันดับจากกระดานสาธารณะไม่ได้ในขณะนี้" in message.text
    assert any(r.name == "services.notify.ranks" for r in caplog.records)

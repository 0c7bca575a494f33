"""The ranking HTTP API on an in-memory store: boards, paging, 4xx bodies, ETags, exports behind a key."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from services.ranking import export
from services.ranking.app import create_app
from services.ranking.bootstrap import bootstrap
from services.ranking.config import RankingConfig
from services.ranking.domain import order_key
from services.ranking.formulas import Formula
from shared.districts import load_registry
from shared.timeutil import bangkok_day, utcnow
from tests.support.ranking_fakes import MemoryRankingStore

REGISTRY = load_registry()
SMALL = sorted(d.code for d in REGISTRY if d.size_group == "small")
CENTRAL = "central-office-test-key"
CHANNEL = "kiosk-channel-test-key"


def standing(votes: int, total: int, hist: dict[str, int] | None = None) -> dict:
    w = {"from": None, "to": None, "votes": votes, "sum": total, "mean": round(total / votes, 4) if votes else 0.0,
         "histogram": hist or {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}, "last_vote_at": None}
    return {"day": bangkok_day(utcnow()).isoformat(), "as_of": "2026-11-21T03:00:00.000Z", "votes_offset": 1,
            "windows": {"campaign": w, "last_30_days": w, "last_7_days": {**w, "votes": 0, "sum": 0}}}


@pytest.fixture
def store():
    s = MemoryRankingStore()
    s.put_if_newer(SMALL[0], order_key(1, "d", "a"), standing(4, 20, {"5": 4}))  # mean 5.0
    s.put_if_newer(SMALL[1], order_key(1, "d", "a"), standing(3, 12, {"4": 3}))  # mean 4.0
    s.put_if_newer(SMALL[2], order_key(1, "d", "a"), standing(1, 3, {"3": 1}))  # one vote short
    s.bump(utcnow())
    return s


@pytest.fixture
def client(store, monkeypatch):
    monkeypatch.setenv("CHANNEL_KEYS", json.dumps({"kiosk": CHANNEL}))
    config = RankingConfig(formula=Formula("mean", {"min_votes": 2}), central_office_keys=(CENTRAL,),
                           reload_interval_s=0.05)
    return create_app(bootstrap(config, store=store)).test_client()


def test_leaderboard_ranks_eligible_first_with_formula_and_paging(client):
    r = client.get("/v1/leaderboards/small?window=campaign&per_page=3")
    assert r.status_code == 200
    body = r.get_json()
    assert body["formula"] == {"name": "mean", "params": {"min_votes": 2}}
    assert (body["group"], body["window"], body["total"], body["pages"]) == ("small", "campaign", 533, 178)
    first, second, third = body["entries"]
    assert (first["district_code"], first["rank"], first["mean"], first["score"]) == (SMALL[0], 1, 5.0, 5.0)
    assert (second["district_code"], second["rank"]) == (SMALL[1], 2)
    assert (third["district_code"], third["rank"], third["eligible"], third["votes_needed"]) == (SMALL[2], None,
                                                                                                  False, 1)
    assert first["movement"]["status"] == "new" and third["movement"] is None
    assert first["name_th"] and first["province_th"]
    assert body["as_of"] == "2026-11-21T03:00:00.000Z"


def test_etag_and_cache_control_and_304(client):
    r = client.get("/v1/leaderboards/small")
    assert r.headers["Cache-Control"].startswith("public, max-age=")
    etag = r.headers["ETag"]
    again = client.get("/v1/leaderboards/small", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get("/v1/leaderboards/small?window=7d", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_province_filter_keeps_group_ranks(client):
    province = REGISTRY.get(SMALL[1]).province_code
    body = client.get(f"/v1/leaderboards/small?province={province}&per_page=1000").get_json()
    codes = [e["district_code"] for e in body["entries"]]
    assert SMALL[1] in codes and all(REGISTRY.get(c).province_code == province for c in codes)
    assert body["total"] == len(codes)
    assert next(e for e in body["entries"] if e["district_code"] == SMALL[1])["rank"] == 2


@pytest.mark.parametrize(("url", "status", "error"), [
    ("/v1/leaderboards/tiny", 404, "unknown_group"),
    ("/v1/leaderboards/small?window=14d", 400, "unknown_window"),
    ("/v1/leaderboards/small?province=10", 404, "unknown_province"),  # Bangkok is not in the programme
    ("/v1/leaderboards/small?province=x", 404, "unknown_province"),
    ("/v1/leaderboards/small?page=0", 400, "invalid_paging"),
    ("/v1/leaderboards/small?page=-1", 400, "invalid_paging"),
    ("/v1/leaderboards/small?page=abc", 400, "invalid_paging"),
    ("/v1/leaderboards/small?per_page=1001", 400, "invalid_paging"),
    ("/v1/leaderboards/small?page=12", 400, "invalid_paging"),  # 533 / 50 → 11 pages
    ("/v1/leaderboards/small?page=%EF%BC%91", 400, "invalid_paging"),  # a full-width digit
    ("/v1/leaderboards/small?windw=7d", 400, "unknown_parameter"),
    ("/v1/districts/9999/rank", 404, "unknown_district"),
    ("/v1/districts/abc/rank", 404, "unknown_district"),
    ("/v1/awards/nope", 404, "unknown_award"),
    ("/v1/awards/a%20b", 400, "invalid_award_name"),
    ("/v1/exports/districts.pdf", 404, "unknown_export"),
])
def test_bad_requests_get_the_platform_error_body(client, url, status, error):
    r = client.get(url)
    assert r.status_code == status, r.data
    body = r.get_json()
    assert body["error"] == error and body["message"]


def test_district_rank_with_movement_and_history(client, store):
    yesterday = (bangkok_day(utcnow()) - timedelta(days=1)).isoformat()
    before = client.get(f"/v1/districts/{SMALL[0]}/rank").get_json()["windows"]["campaign"]
    assert before["movement"]["status"] == "new" and before["history"] == []
    # The consumer takes yesterday's snapshot and notes it; the web view picks it up on its next refresh.
    store.insert_snapshot({"_id": f"{yesterday}:small:campaign", "day": yesterday, "group": "small",
                           "window": "campaign", "ranks": {SMALL[0]: 2, SMALL[1]: 1, SMALL[2]: None}})
    store.note_snapshot(yesterday)
    import time

    deadline = time.monotonic() + 5
    while True:  # the refresher picks the change up within its interval
        body = client.get(f"/v1/districts/{SMALL[0]}/rank").get_json()
        if body["windows"]["campaign"]["history"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    campaign = body["windows"]["campaign"]
    assert body["group"] == "small"
    assert (campaign["rank"], campaign["votes"], campaign["mean"]) == (1, 4, 5.0)
    assert campaign["movement"] == {"status": "up", "places": 1, "previous_rank": 2}
    assert campaign["history"] == [{"day": yesterday, "rank": 2}]
    assert body["windows"]["7d"]["rank"] is None and body["windows"]["7d"]["votes_needed"] == 2
    board = client.get("/v1/leaderboards/small").get_json()["entries"]
    assert board[1]["movement"] == {"status": "down", "places": 1, "previous_rank": 1}


def test_award_is_served_with_its_hash(client, store):
    store.insert_award({"_id": "award-2026", "sha256": "ab" * 32, "canonical": '{"groups":{}}'})
    r = client.get("/v1/awards/award-2026")
    assert r.status_code == 200
    assert r.get_json() == {"name": "award-2026", "sha256": "ab" * 32, "withdrawn": None, "snapshot": {"groups": {}}}
    # A withdrawal marks it later (snapshot and hash unchanged): so the answer is not immutable, its ETag moves.
    assert "immutable" not in r.headers["Cache-Control"]
    assert store.withdraw_award("award-2026", {"at": "2026-12-05T10:00:00.000Z", "reason": "ผิดสูตร"})
    again = client.get("/v1/awards/award-2026")
    assert again.get_json()["withdrawn"] == {"at": "2026-12-05T10:00:00.000Z", "reason": "ผิดสูตร"}
    assert again.get_json()["sha256"] == "ab" * 32 and again.headers["ETag"] != r.headers["ETag"]


def test_exports_need_the_central_office_key(client):
    assert client.get("/v1/exports/districts.csv").status_code == 401
    assert client.get("/v1/exports/districts.csv", headers={"Authorization": "Basic x"}).status_code == 401
    wrong = client.get("/v1/exports/districts.csv", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.get_json()["error"] == "unauthenticated"
    assert "WWW-Authenticate" in wrong.headers
    channel = client.get("/v1/exports/districts.csv", headers={"Authorization": f"Bearer {CHANNEL}"})
    assert channel.status_code == 403 and channel.get_json()["error"] == "forbidden"


def test_csv_export_has_bom_all_districts_and_ranks(client):
    r = client.get("/v1/exports/districts.csv", headers={"Authorization": f"Bearer {CENTRAL}"})
    assert r.status_code == 200 and r.data.startswith(b"\xef\xbb\xbf")
    reader = csv.reader(io.StringIO(r.data.decode("utf-8-sig")))
    keys = [export.key_of(h) for h in next(reader)]  # Thai headers, the key in brackets
    rows = [dict(zip(keys, row, strict=True)) for row in reader]
    assert len(rows) == 878
    top = next(row for row in rows if row["district_code"] == SMALL[0])
    assert (top["campaign_votes"], top["campaign_sum"], top["campaign_h5"], top["campaign_rank_in_group"],
            top["size_group"]) == ("4", "20", "4", "1", "small")


def test_xlsx_export_opens_with_every_district(client):
    from openpyxl import load_workbook

    r = client.get("/v1/exports/districts.xlsx", headers={"Authorization": f"Bearer {CENTRAL}"})
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.data)).active
    assert sheet.max_row == 879 and sheet.cell(1, 1).value == "รหัสอำเภอ (district_code)"


def test_openapi_lists_the_routes(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert {"/v1/leaderboards/{group}", "/v1/districts/{code}/rank", "/v1/awards/{name}",
            "/v1/exports/districts.csv", "/v1/exports/districts.xlsx"} <= set(paths)


class DownStore(MemoryRankingStore):
    """The store does not answer (as pymongo reports it)."""

    def read_state(self) -> dict:
        from pymongo.errors import ServerSelectionTimeoutError

        raise ServerSelectionTimeoutError("no servers")

    def award(self, name: str):
        return self.read_state()


def test_store_down_is_a_503_with_the_error_body_not_a_500():
    # The view's refresher would warn about this store every 0.2 s for the rest of the session: once an hour.
    config = RankingConfig(central_office_keys=(CENTRAL,), reload_interval_s=3600)
    client = create_app(bootstrap(config, store=DownStore())).test_client()
    for url, headers in (("/v1/leaderboards/small", {}), (f"/v1/districts/{SMALL[0]}/rank", {}), ("/v1/awards/x", {}),
                         ("/v1/exports/districts.csv", {"Authorization": f"Bearer {CENTRAL}"})):
        r = client.get(url, headers=headers)
        assert r.status_code == 503, (url, r.data)
        assert r.get_json()["error"] == "store_unavailable" and r.headers["Retry-After"] == "5"


def test_an_unreadable_channel_keys_file_does_not_stop_the_service(monkeypatch, tmp_path):
    monkeypatch.delenv("CHANNEL_KEYS", raising=False)
    monkeypatch.setenv("CHANNEL_KEYS_FILE", str(tmp_path / "missing.json"))
    client = create_app(bootstrap(RankingConfig(central_office_keys=(CENTRAL,)), store=MemoryRankingStore())
                        ).test_client()
    assert client.get("/v1/exports/districts.csv", headers={"Authorization": f"Bearer {CHANNEL}"}).status_code == 401
    assert client.get("/v1/exports/districts.csv", headers={"Authorization": f"Bearer {CENTRAL}"}).status_code == 200

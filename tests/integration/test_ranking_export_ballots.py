"""`sangsuk export` on the real broker and store: Thai headers, flagged votes and the service breakdown follow
what scoring decided (ballots.v1), and per district the services add up to scoring's campaign votes."""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import replace

import pytest

from services.ranking import export
from services.ranking.store import RankingStore
from shared import mongo
from shared.districts import load_registry
from shared.events import VoteEvent
from tests.support.ranking import RankingConsumer, ranking_env, sangsuk
from tests.support.scoring import ConsumerProcess, now_utc, producer, scoring_env, send_votes, wait_until

pytestmark = pytest.mark.integration

REGISTRY = load_registry()
A, B = sorted(d.code for d in REGISTRY if d.size_group == "small")[:2]


def vote(n: int, code: str, score: int, service: str | None, **extra) -> VoteEvent:
    now = now_utc()
    return replace(VoteEvent(f"exp-{code}-{n}", code, score, "", None, service, "qr", None, now, now), **extra)


def test_export_has_thai_headers_flagged_counts_and_services_equal_to_scorings(settings, tmp_path):
    voter = "c" * 64
    votes = [vote(1, A, 5, "id_card"), vote(2, A, 3, "id_card"), vote(3, A, 4, "house_registration"),
             vote(4, A, 2, None),
             vote(5, A, 1, "id_card", flagged=True, flag_reason="address_burst"),
             vote(6, B, 4, "complaints", voter_key=voter), vote(7, B, 1, "complaints", voter_key=voter)]
    p = producer(settings)
    send_votes(p, settings.topics.votes, votes)
    send_votes(p, settings.topics.votes, votes[:2])  # an ingest retry: the same vote_ids again
    p.close()
    env = ranking_env(settings)
    db = mongo.database(settings)
    with ConsumerProcess(scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-"))), RankingConsumer(env):
        def campaign_votes():
            figures = RankingStore(db).all_figures()
            got = {c: ((figures.get(c) or {}).get("windows") or {}).get("campaign", {}).get("votes") for c in (A, B)}
            return got if got == {A: 4, B: 1} else None

        wait_until(campaign_votes, 90, "scoring's campaign votes in ranking's store")

    out = tmp_path / "districts.csv"
    run = sangsuk(env, "export", "--format", "csv", "--out", str(out))
    assert run.code == 0, run.err
    assert run.out["ballots"] == {"counted": 5, "flagged": 1, "unreadable_records": 0}
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode())  # Excel opens UTF-8 with a BOM in Thai
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig")))
    header = next(reader)
    assert header[0] == "รหัสอำเภอ (district_code)"
    assert "โหวตที่ถูกตั้งข้อสังเกต ไม่นับ ทั้งโครงการ (campaign_flagged_votes)" in header
    keys = [export.key_of(h) for h in header]
    rows = {r[0]: dict(zip(keys, r, strict=True)) for r in reader}
    assert len(rows) == 878
    a, b = rows[A], rows[B]
    assert (a["campaign_votes"], a["campaign_flagged_votes"], a["campaign_repeat_votes"]) == ("4", "1", "0")
    assert (a["service_id_card_votes"], a["service_id_card_mean"]) == ("2", "4.0")
    assert (a["service_house_registration_votes"], a["service_unspecified_votes"]) == ("1", "1")
    assert (b["campaign_votes"], b["campaign_repeat_votes"], b["service_complaints_votes"]) == ("1", "1", "1")
    for row in rows.values():  # the services add up to scoring's campaign votes, district by district
        services = sum(int(row[k]) for k in keys if k.startswith("service_") and k.endswith("_votes"))
        assert services == int(row["campaign_votes"]), row["district_code"]

    exported = tmp_path / "districts.xlsx"
    assert sangsuk(env, "export", "--format", "xlsx", "--out", str(exported)).code == 0
    from openpyxl import load_workbook

    sheet = load_workbook(exported).active
    assert sheet.freeze_panes == "A2" and sheet.max_row == 879
    assert [c.value for c in sheet[1]] == header
    assert sheet.column_dimensions["A"].width >= len(header[0])

"""The central office's file: all 878 districts, per window votes, sum, mean, histogram, score and rank;
from `sangsuk export` also what scoring decided (ballots.v1): flagged votes, repeats and the service breakdown.

Headers are Thai first, the column's key after it in brackets ("จำนวนโหวต (campaign_votes)"): an analyst
reads Thai, a script finds the key (`key_of`).

CSV is UTF-8 with a byte-order mark (Excel then shows Thai) and every text cell that a spreadsheet
would read as a formula is prefixed with a single quote (`shared/spreadsheet.py`, shared by every file
the platform writes). XLSX cells are written as text, never as formulas. A yes/no
cell (`eligible`) is written in Thai, "ใช่" / "ไม่ใช่", as the platform's readers read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from services.ranking.boards import build_boards
from services.ranking.domain import GROUPS, WINDOWS, window_tally
from services.ranking.formulas import Formula
from shared.districts import Registry
from shared.spreadsheet import csv_bytes, xlsx_bytes
from shared.vote_rules import SERVICES

if TYPE_CHECKING:
    from services.ranking.ballot_tally import BallotTally

BASE_COLUMNS = ["district_code", "name_th", "name_en", "province_code", "province_th", "province_en", "size_group"]
PER_WINDOW = ["votes", "sum", "mean", "h1", "h2", "h3", "h4", "h5", "score", "eligible", "rank_in_group"]
THAI = {"district_code": "รหัสอำเภอ", "name_th": "ชื่ออำเภอ", "name_en": "ชื่ออำเภอภาษาอังกฤษ",
        "province_code": "รหัสจังหวัด", "province_th": "จังหวัด", "province_en": "จังหวัดภาษาอังกฤษ",
        "size_group": "กลุ่มขนาด", "votes": "จำนวนโหวตที่นับ", "sum": "ผลรวมคะแนน", "mean": "คะแนนเฉลี่ย",
        "h1": "ให้ 1 คะแนน", "h2": "ให้ 2 คะแนน", "h3": "ให้ 3 คะแนน", "h4": "ให้ 4 คะแนน", "h5": "ให้ 5 คะแนน",
        "score": "คะแนนจัดอันดับ", "eligible": "เข้าเกณฑ์จัดอันดับ", "rank_in_group": "อันดับในกลุ่มขนาด",
        "flagged_votes": "โหวตที่ถูกตั้งข้อสังเกต ไม่นับ", "repeat_votes": "โหวตซ้ำในวันเดียวกัน ไม่นับ"}
WINDOW_THAI = {"campaign": "ทั้งโครงการ", "30d": "30 วันล่าสุด", "7d": "7 วันล่าสุด"}
SERVICE_THAI = {**{key: names[0] for key, names in SERVICES.items()}, "unspecified": "ไม่ระบุบริการ"}


def _service_columns() -> list[str]:
    from services.ranking.ballot_tally import SERVICE_KEYS

    return [f"service_{s}_{what}" for s in SERVICE_KEYS for what in ("votes", "mean")]


def columns(ballots: bool = False) -> list[str]:
    """The columns' keys; `ballots`: with scoring's decisions (flagged, repeats, services), as the CLI writes."""
    keys = BASE_COLUMNS + [f"{window}_{name}" for window in WINDOWS for name in PER_WINDOW]
    return keys + (["campaign_flagged_votes", "campaign_repeat_votes", *_service_columns()] if ballots else [])


def thai_header(key: str) -> str:
    """A column's header: Thai first, its key in brackets."""
    if key in THAI:
        label = THAI[key]
    elif key.startswith("service_"):
        service, what = key[len("service_"):].rsplit("_", 1)
        label = f"บริการ{SERVICE_THAI[service]}: " + ("จำนวนโหวตที่นับ" if what == "votes" else "คะแนนเฉลี่ย")
    else:
        window, name = key.split("_", 1)
        label = f"{THAI[name]} {WINDOW_THAI[window]}"
    return f"{label} ({key})"


def headers(ballots: bool = False) -> list[str]:
    return [thai_header(key) for key in columns(ballots)]


def key_of(header: str) -> str:
    """The key in a header cell ("คะแนนเฉลี่ย ทั้งโครงการ (campaign_mean)" -> "campaign_mean")."""
    return header.rsplit("(", 1)[-1].rstrip(")")


def rows(figures: Mapping[str, Mapping], registry: Registry, formula: Formula,
         ballots: BallotTally | None = None) -> list[list]:
    boards = build_boards(figures, registry, formula)
    index = {key: {e.code: e for e in entries} for key, entries in boards.items()}
    out = []
    for d in sorted(registry, key=lambda d: d.code):
        row: list = [d.code, d.name_th, d.name_en, d.province_code, d.province_th, d.province_en, d.size_group]
        for window in WINDOWS:
            e = index[(d.size_group, window)][d.code]
            hist = window_tally(figures.get(d.code), window).histogram
            row += [e.votes, e.total, e.mean, *hist, e.score, e.eligible, e.rank]
        if ballots is not None:
            row += _ballot_cells(ballots, d.code)
        out.append(row)
    assert {r[6] for r in out} <= set(GROUPS)
    return out


def _ballot_cells(ballots: BallotTally, code: str) -> list:
    from services.ranking.ballot_tally import SERVICE_KEYS

    b = ballots.of(code)
    cells: list = [b.flagged, b.repeat]
    for service in SERVICE_KEYS:
        cells += [b.service_votes[service], b.service_mean(service)]
    return cells


def _with_ballots(table: list[list]) -> bool:
    return bool(table) and len(table[0]) > len(columns())


def to_csv(table: list[list]) -> bytes:
    return csv_bytes(headers(_with_ballots(table)), table)


def to_xlsx(table: list[list]) -> bytes:
    return xlsx_bytes(headers(_with_ballots(table)), table, "districts")

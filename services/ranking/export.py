"""The central office's file: all 878 districts, per window votes, sum, mean, histogram, score and rank.

CSV is UTF-8 with a byte-order mark (Excel then shows Thai) and every text cell that a spreadsheet
would read as a formula is prefixed with a single quote (`shared/spreadsheet.py`, shared by every file
the platform writes). XLSX cells are written as text, never as formulas. A yes/no
cell (`eligible`) is written in Thai, "ใช่" / "ไม่ใช่", as the platform's readers read it.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.ranking.boards import build_boards
from services.ranking.domain import GROUPS, WINDOWS, window_tally
from services.ranking.formulas import Formula
from shared.districts import Registry
from shared.spreadsheet import csv_bytes, safe_cell, xlsx_bytes

BASE_COLUMNS = ["district_code", "name_th", "name_en", "province_code", "province_th", "province_en", "size_group"]
PER_WINDOW = ["votes", "sum", "mean", "h1", "h2", "h3", "h4", "h5", "score", "eligible", "rank_in_group"]


def columns() -> list[str]:
    return BASE_COLUMNS + [f"{window}_{name}" for window in WINDOWS for name in PER_WINDOW]


def rows(figures: Mapping[str, Mapping], registry: Registry, formula: Formula) -> list[list]:
    boards = build_boards(figures, registry, formula)
    index = {key: {e.code: e for e in entries} for key, entries in boards.items()}
    out = []
    for d in sorted(registry, key=lambda d: d.code):
        row: list = [d.code, d.name_th, d.name_en, d.province_code, d.province_th, d.province_en, d.size_group]
        for window in WINDOWS:
            e = index[(d.size_group, window)][d.code]
            hist = window_tally(figures.get(d.code), window).histogram
            row += [e.votes, e.total, e.mean, *hist, e.score, e.eligible, e.rank]
        out.append(row)
    assert {r[6] for r in out} <= set(GROUPS)
    return out


YES_NO = {True: "ใช่", False: "ไม่ใช่"}


def written(value):
    """A value as written: yes/no in Thai (never True/False), text guarded against formulas (safe_cell)."""
    return YES_NO[value] if isinstance(value, bool) else safe_cell(value)


def to_csv(table: list[list]) -> bytes:
    return csv_bytes(columns(), [[written(v) for v in row] for row in table])


def to_xlsx(table: list[list]) -> bytes:
    return xlsx_bytes("districts", columns(), [[written(v) for v in row] for row in table])

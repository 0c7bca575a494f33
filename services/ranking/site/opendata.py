"""The public leaderboards as open data: CSV and JSON, one file per size group and window.

The same entries the leaderboard pages show (never a comment), with a licence statement in the
JSON and on the page. CSV as ranking's exports write it (UTF-8 with BOM so Excel reads Thai;
formula-like cells neutralised).
"""

from __future__ import annotations

import csv
import io
import json

from services.ranking.domain import movement
from services.ranking.live import View
from shared.districts import Registry
from shared.spreadsheet import YES_NO, safe_cell

LICENCE = {
    "name": "Creative Commons Attribution 4.0 International (CC BY 4.0)",
    "url": "https://creativecommons.org/licenses/by/4.0/",
    "attribution": "อำเภอสร้างสุข (Amphoe Sang Suk)",
}
COLUMNS = ["rank", "district_code", "name_th", "name_en", "province_code", "province_th", "province_en", "votes",
           "mean", "score", "eligible", "votes_needed", "sources_needed", "movement", "places"]


def entries(view: View, registry: Registry, group: str, window: str) -> list[dict]:
    out = []
    for e in view.boards[(group, window)]:
        d = registry.get(e.code)
        move = movement(e.rank, view.previous.get((group, window)), e.code)
        out.append({"rank": e.rank, "district_code": e.code, "name_th": d.name_th, "name_en": d.name_en,
                    "province_code": d.province_code, "province_th": d.province_th, "province_en": d.province_en,
                    "votes": e.votes, "mean": e.mean, "score": e.score, "eligible": e.eligible,
                    "votes_needed": e.votes_needed, "sources_needed": e.sources_needed,
                    "movement": move["status"] if move else None,
                    "places": move["places"] if move else None})
    return out


def as_json(view: View, registry: Registry, group: str, window: str, as_of: str | None) -> bytes:
    body = {"group": group, "window": window, "as_of": as_of, "formula": view.formula.to_json(), "licence": LICENCE,
            "entries": entries(view, registry, group, window)}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def as_csv(view: View, registry: Registry, group: str, window: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for e in entries(view, registry, group, window):
        writer.writerow(["" if e[c] is None else safe_cell(YES_NO[e[c]] if isinstance(e[c], bool) else e[c])
                         for c in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")

"""The audit trail as a file the centre downloads (CSV or XLSX): every telling with its consent, every
withdrawal and every decision, with who and when. No story text: the trail is of decisions."""

from __future__ import annotations

from shared.spreadsheet import csv_bytes, xlsx_bytes
from shared.thaidate import be_datetime

COLUMNS = ["เวลา (พ.ศ.) / time", "เรื่องเล่า / story", "อำเภอ / district", "การกระทำ / action", "โดย / by",
           "เหตุผลหรือรายการ / reason or list", "ยินยอมเผยแพร่ / consent to publish", "การให้เครดิต / credit",
           "ฉบับถ้อยคำ / wording", "ช่องทาง / channel"]


def rows(entries: list[dict]) -> list[list]:
    out = []
    for e in entries:
        consent = e.get("consent") or {}
        publish = consent.get("publish")
        out.append([be_datetime(e["at"]), e["story_id"], e.get("district_code", ""), e["action"], e.get("by", ""),
                    e.get("reason") or "", "" if publish is None else ("ใช่" if publish else "ไม่ใช่"),
                    consent.get("credit", ""), consent.get("version", ""), consent.get("channel", "")])
    return out


def to_csv(entries: list[dict]) -> bytes:
    return csv_bytes(COLUMNS, rows(entries))


def to_xlsx(entries: list[dict]) -> bytes:
    return xlsx_bytes(COLUMNS, rows(entries), "audit")

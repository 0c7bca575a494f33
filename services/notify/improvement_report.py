"""The service-improvement report for a period: per district, scoring's figures, the aspects citizens praise
and blame most, praise per unit and flagged votes; as rows for JSON, CSV and XLSX (shared/spreadsheet.py).

Figures come from notify's tally of scoring's decisions (tally_store.py: counted, flagged and repeat votes
per district day), so the report's votes and sums equal scoring's for the same days; topics and praise
from the feedback view. Filters: the period and the area (province, size group, district).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

from services.notify.feedback_query import FeedbackQuery
from services.notify.feedback_search import documents
from services.notify.feedback_store import FeedbackStore
from services.notify.tally_store import TallyStore
from services.notify.topic_stats import ASPECT_TH
from shared.districts import Registry
from shared.praise.units import DEFAULT_UNITS

TOP = 3
UNIT_TH = {u.id: u.name_th for u in DEFAULT_UNITS}
COLUMNS = [("district_code", "รหัสอำเภอ"), ("name_th", "อำเภอ"), ("province_th", "จังหวัด"),
           ("size_group", "กลุ่มขนาด"), ("votes", "จำนวนโหวตที่นับ"), ("sum", "ผลรวมคะแนน"),
           ("mean", "คะแนนเฉลี่ย"), ("flagged_votes", "โหวตที่ถูกตั้งข้อสังเกต ไม่นับ"),
           ("repeat_votes", "โหวตซ้ำในวันเดียวกัน ไม่นับ"), ("comments", "จำนวนความคิดเห็น"),
           ("top_negative", "เรื่องที่ถูกติมากที่สุด"), ("top_positive", "เรื่องที่ได้รับคำชมมากที่สุด"),
           ("praise", "คำชมตามหน่วยงาน"), ("praise_total", "จำนวนคำชม")]


def header() -> list[str]:
    return [f"{th} ({key})" for key, th in COLUMNS]


@dataclass
class _District:
    votes: int = 0
    total: int = 0
    flagged: int = 0
    repeat: int = 0
    comments: int = 0
    negative: Counter = field(default_factory=Counter)
    positive: Counter = field(default_factory=Counter)
    praise: Counter = field(default_factory=Counter)


def _top(counts: Counter) -> str:
    return "; ".join(f"{ASPECT_TH[a]} {n}" for a, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))[:TOP])


def _in_area(query: FeedbackQuery, registry: Registry) -> list:
    return [d for d in sorted(registry, key=lambda d: d.code)
            if (not query.province or d.province_code == query.province)
            and (not query.size_group or d.size_group == query.size_group)
            and (not query.district or d.code == query.district)]


def report_rows(tally: TallyStore, feedback: FeedbackStore, registry: Registry, query: FeedbackQuery) -> list[dict]:
    """One row per district of the area, in code order, with the keys of COLUMNS."""
    area = _in_area(query, registry)
    wanted = {d.code for d in area}
    per: dict[str, _District] = defaultdict(_District)
    for doc in tally.days(query.first, query.last):
        if doc.get("d") in wanted:
            row = per[doc["d"]]
            scores = (doc.get("n") or {}).values()
            row.votes += len(scores)
            row.total += sum(int(s) for s in scores)
            row.flagged += len(doc.get("f") or {})
            row.repeat += len(doc.get("r") or {})
    area_only = replace(query, q="", service=None, aspect=None, polarity=None, score=None, channel=None)
    for doc in documents(feedback, area_only, newest_first=False):
        if doc["district"] not in wanted:
            continue
        row = per[doc["district"]]
        if doc.get("comment"):
            row.comments += 1
            for aspect, polarity in (doc.get("topics") or {}).items():
                (row.negative if polarity == "negative" else row.positive)[aspect] += 1
        praise = doc.get("praise") or {}
        if doc.get("praise_counted") and praise.get("unit_id"):
            row.praise[praise["unit_id"]] += 1
    out = []
    for d in area:
        r = per.get(d.code) or _District()
        out.append({"district_code": d.code, "name_th": d.name_th, "province_th": d.province_th,
                    "size_group": d.size_group, "votes": r.votes, "sum": r.total,
                    "mean": round(r.total / r.votes, 4) if r.votes else None, "flagged_votes": r.flagged,
                    "repeat_votes": r.repeat, "comments": r.comments, "top_negative": _top(r.negative),
                    "top_positive": _top(r.positive),
                    "praise": "; ".join(f"{UNIT_TH.get(u, u)} {n}" for u, n in r.praise.most_common()),
                    "praise_total": sum(r.praise.values())})
    return out


def totals(rows: list[dict]) -> dict:
    return {key: sum(r[key] for r in rows) for key in ("votes", "sum", "flagged_votes", "repeat_votes", "comments",
                                                        "praise_total")}


def as_table(rows: list[dict]) -> list[list]:
    return [[r[key] for key, _th in COLUMNS] for r in rows]

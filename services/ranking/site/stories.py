"""The published stories of service on the public site (issue 21): a district's, the stories page
(filter by province and size group), and the open-data files with their licence. Pure: from the view.

Only what stories.published.v1 carried is shown: the approved text and the credit the citizen chose
(anonymous when none). A withdrawn story is not in the view, so it is on no page and in no file.
"""

from __future__ import annotations

import json

from services.ranking.live import View
from services.ranking.site.fmt import parse_moment
from services.ranking.site.opendata import LICENCE
from shared.districts import Registry
from shared.spreadsheet import csv_bytes
from shared.thaidate import bangkok, be_date

WORDS = {
    "th": {"title": "เรื่องเล่าความประทับใจ", "nav": "เรื่องเล่า",
           "intro": "เรื่องจริงจากประชาชนที่ได้รับบริการเกินความคาดหมาย เผยแพร่ด้วยความยินยอมของผู้เล่า "
                    "หลังสำนักงานกลางตรวจและลบข้อมูลส่วนบุคคลแล้ว",
           "none": "ยังไม่มีเรื่องเล่าที่เผยแพร่", "anonymous": "ผู้รับบริการ (ไม่ระบุชื่อ)",
           "by": "เล่าโดย {credit}", "told": "เล่าเมื่อ {day}", "province": "จังหวัด", "group": "ขนาดอำเภอ",
           "all": "ทั้งหมด", "show": "แสดง", "district_stories": "เรื่องเล่าความประทับใจจากอำเภอนี้",
           "files": "ดาวน์โหลดเรื่องเล่า (ข้อมูลเปิด)"},
    "en": {"title": "Stories of service", "nav": "Stories",
           "intro": "True stories from people served beyond what they expected, published with the teller's "
                    "consent after the central office checked them and removed personal data.",
           "none": "No story has been published yet", "anonymous": "A citizen (anonymous)",
           "by": "Told by {credit}", "told": "Told on {day}", "province": "Province", "group": "District size",
           "all": "All", "show": "Show", "district_stories": "Stories of service from this district",
           "files": "Download the stories (open data)"},
}
COLUMNS = ["story_id", "district_code", "name_th", "name_en", "province_code", "province_th", "size_group",
           "text", "credit", "told_on", "published_at"]


def cards(view: View, registry: Registry, lang: str, *, district: str | None = None, province: str | None = None,
          group: str | None = None) -> list[dict]:
    """The stories to show, newest approval first, each with its district, credit and BE date."""
    w = WORDS[lang]
    out = []
    for story in view.stories:
        d = registry.get(story["district_code"])
        if d is None or (district and d.code != district) or (province and d.province_code != province) \
                or (group and d.size_group != group):
            continue
        told = parse_moment(story["told_at"]) if story.get("told_at") else None
        out.append({"story_id": story["story_id"], "text": story["text"], "district_code": d.code,
                    "district": d.name_th if lang == "th" else d.name_en,
                    "province": d.province_th if lang == "th" else d.province_en,
                    "by": w["by"].format(credit=story.get("credit") or w["anonymous"]),
                    "told": w["told"].format(day=be_date(bangkok(told).date(), lang)) if told else ""})
    return out


def _rows(view: View, registry: Registry) -> list[dict]:
    rows = []
    for story in view.stories:
        d = registry.get(story["district_code"])
        if d is None:
            continue
        rows.append({"story_id": story["story_id"], "district_code": d.code, "name_th": d.name_th,
                     "name_en": d.name_en, "province_code": d.province_code, "province_th": d.province_th,
                     "size_group": d.size_group, "text": story["text"], "credit": story.get("credit"),
                     "told_on": (story.get("told_at") or "")[:10] or None, "published_at": story["at"]})
    return rows


def as_json(view: View, registry: Registry) -> bytes:
    body = {"dataset": "stories", "licence": LICENCE, "stories": _rows(view, registry)}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def as_csv(view: View, registry: Registry) -> bytes:
    return csv_bytes(COLUMNS, [[r[c] for c in COLUMNS] for r in _rows(view, registry)])

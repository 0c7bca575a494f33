"""What citizens talk about, counted: topics by province, size group and service, their weekly trend, and
the districts where an aspect worsens most (the centre's view; issue 20).

Read from the feedback view (one document per counted comment, tagged when counted), so every figure
follows scoring's decisions. "Worsens most": the rise in the share of a district's comments that speak
badly of the aspect, this period against the period of the same length just before, among districts
with at least MIN_COMMENTS comments in both (a share of one or two comments says nothing).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from shared.districts import Registry
from shared.topics import ASPECTS

MIN_COMMENTS = 3
ASPECT_TH = {"waiting": "การรอคอย", "courtesy": "มารยาทและการต้อนรับ", "competence": "ความรู้และคำแนะนำ",
             "documents": "เอกสารและขั้นตอน", "facilities": "สถานที่และสิ่งอำนวยความสะดวก",
             "access": "การเข้าถึงบริการ", "digital": "ระบบดิจิทัลและออนไลน์", "fees": "ค่าธรรมเนียมและความเป็นธรรม"}
POLARITY_TH = {"positive": "ชม", "negative": "ติ"}


def _zero() -> dict[str, dict[str, int]]:
    return {a: {"positive": 0, "negative": 0} for a in ASPECTS}


@dataclass
class Group:
    comments: int = 0
    topics: dict[str, dict[str, int]] = field(default_factory=_zero)

    def add(self, topics: dict[str, str]) -> None:
        self.comments += 1
        for aspect, polarity in topics.items():
            if aspect in self.topics and polarity in ("positive", "negative"):
                self.topics[aspect][polarity] += 1

    def json(self) -> dict:
        return {"comments": self.comments, "topics": self.topics}


def week_of(day: str) -> str:
    """The Monday that starts the day's week (ISO), the trend's unit."""
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


@dataclass
class TopicSummary:
    """Counts of (aspect, polarity) over a set of tagged comments, grouped every way the centre asks."""

    total: Group = field(default_factory=Group)
    by_province: dict[str, Group] = field(default_factory=lambda: defaultdict(Group))
    by_size_group: dict[str, Group] = field(default_factory=lambda: defaultdict(Group))
    by_service: dict[str, Group] = field(default_factory=lambda: defaultdict(Group))
    by_week: dict[str, Group] = field(default_factory=lambda: defaultdict(Group))
    by_district: dict[str, Group] = field(default_factory=lambda: defaultdict(Group))

    def add(self, doc: dict, registry: Registry) -> None:
        topics = doc.get("topics") or {}
        district = registry.get(doc["district"])
        for group in (self.total, self.by_province[district.province_code], self.by_size_group[district.size_group],
                      self.by_service[doc.get("service") or "unspecified"], self.by_week[week_of(doc["day"])],
                      self.by_district[doc["district"]]):
            group.add(topics)


def summarise(docs: Iterable[dict], registry: Registry) -> TopicSummary:
    summary = TopicSummary()
    for doc in docs:
        summary.add(doc, registry)
    return summary


def _share(group: Group | None, aspect: str) -> float | None:
    if group is None or group.comments < MIN_COMMENTS:
        return None
    return group.topics[aspect]["negative"] / group.comments


def worsening(now: TopicSummary, before: TopicSummary, registry: Registry, top: int = 5) -> dict[str, list[dict]]:
    """Per aspect, the `top` districts whose share of comments speaking badly of it rose most."""
    out: dict[str, list[dict]] = {}
    for aspect in ASPECTS:
        rows = []
        for code, group in now.by_district.items():
            share_now, share_before = _share(group, aspect), _share(before.by_district.get(code), aspect)
            if share_now is None or share_before is None or share_now <= share_before:
                continue
            d = registry.get(code)
            rows.append({"district_code": code, "district_th": d.name_th, "province_th": d.province_th,
                         "negative_share": round(share_now, 4), "negative_share_before": round(share_before, 4),
                         "rise": round(share_now - share_before, 4), "comments": group.comments,
                         "comments_before": before.by_district[code].comments})
        rows.sort(key=lambda r: (-r["rise"], -r["comments"], r["district_code"]))
        out[aspect] = rows[:top]
    return out


def summary_json(now: TopicSummary, before: TopicSummary, registry: Registry) -> dict:
    provinces = {d.province_code: d.province_th for d in registry}
    return {
        "comments": now.total.comments, "topics": now.total.topics,
        "by_province": {code: {"province_th": provinces[code], **g.json()}
                        for code, g in sorted(now.by_province.items())},
        "by_size_group": {k: g.json() for k, g in sorted(now.by_size_group.items())},
        "by_service": {k: g.json() for k, g in sorted(now.by_service.items())},
        "trend": [{"week_start": week, **g.json()} for week, g in sorted(now.by_week.items())],
        "worsening": worsening(now, before, registry),
    }

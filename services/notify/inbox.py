"""The chief's inbox filters (pure): what the query string asks for, checked, and whether a feedback
document (services/notify/feedback.py) matches it.

A filter names a date range of Bangkok days (the last 30 by default, at most `MAX_DAYS`), so the store
reads one indexed district-day at a time and a page's cost follows the range, never the whole history.
Every value is checked against a closed list or a bounded form; a bad one is named in `problems` (the page
answers 400 with the form, never 500).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from shared.vote_rules import CHANNELS, SERVICES

DEFAULT_DAYS = 30
MAX_DAYS = 92
PAGE_SIZE = 50
CHANNELS_TH = {"qr": "คิวอาร์โค้ด", "line": "LINE", "kiosk": "ตู้ลงคะแนน", "web": "เว็บไซต์", "facebook": "Facebook",
               "import": "นำเข้าจากแบบฟอร์ม"}


@dataclass(frozen=True)
class InboxFilter:
    first: date
    last: date
    score: int | None = None
    service: str | None = None
    channel: str | None = None
    praise: bool = False
    topic: str | None = None

    def keeps(self, doc: Mapping) -> bool:
        if self.score is not None and doc.get("score") != self.score:
            return False
        if self.service and doc.get("service") != self.service:
            return False
        if self.channel and self.channel not in (doc.get("channel"), doc.get("comment_channel")):
            return False
        if self.praise and not doc.get("praise_counted"):
            return False
        return not self.topic or self.topic in (doc.get("topics") or {})

    def query(self) -> dict[str, str]:
        """The filter as query-string values (for links that keep it)."""
        values = {"from": self.first.isoformat(), "to": self.last.isoformat(), "score": self.score or "",
                  "service": self.service or "", "channel": self.channel or "", "praise": "1" if self.praise else "",
                  "topic": self.topic or ""}
        return {k: str(v) for k, v in values.items() if v != ""}


def _day(text: str) -> date | None:
    if len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_filter(args: Mapping[str, str], today: date, topics: frozenset[str] = frozenset()) -> tuple[
        InboxFilter, list[str]]:
    """The filter the query string asks for and the names of the values refused (the default kept for them)."""
    problems: list[str] = []
    last = today
    if args.get("to"):
        last = _day(args["to"]) or today
        if _day(args["to"]) is None or last > today:
            problems.append("to")
            last = today
    first = last - timedelta(days=DEFAULT_DAYS - 1)
    if args.get("from"):
        chosen = _day(args["from"])
        if chosen is None or chosen > last or (last - chosen).days >= MAX_DAYS:
            problems.append("from")
        else:
            first = chosen
    score = None
    if args.get("score"):
        if args["score"] in ("1", "2", "3", "4", "5"):
            score = int(args["score"])
        else:
            problems.append("score")
    service = args.get("service") or None
    if service and service not in SERVICES:
        problems.append("service")
        service = None
    channel = args.get("channel") or None
    if channel and channel not in CHANNELS:
        problems.append("channel")
        channel = None
    topic = args.get("topic") or None
    if topic and topic not in topics:
        problems.append("topic")
        topic = None
    return InboxFilter(first, last, score, service, channel, args.get("praise") == "1", topic), problems

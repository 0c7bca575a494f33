"""The district's recent trend (notify's own vote sets) and the comments behind an alert (the feedback view's
newest comments)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from services.notify.feedback_store import FeedbackStore
from services.notify.store import NotifyStore
from shared.pdpa import redact
from shared.timeutil import BANGKOK


@dataclass(frozen=True)
class TrendDay:
    day: date
    votes: int
    mean: float | None


@dataclass(frozen=True)
class Comment:
    score: int
    text: str
    at: datetime


def recent_trend(store: NotifyStore, district: str, today: date, days: int = 14) -> list[TrendDay]:
    wanted = [today - timedelta(days=n) for n in range(days)]
    docs = store.day_documents(district, wanted, fields=("v",))
    out = []
    for day in reversed(wanted):
        scores = [v[0] for v in docs.get(day, {}).get("v", {}).values()]
        out.append(TrendDay(day, len(scores), round(sum(scores) / len(scores), 2) if scores else None))
    return out


def recent_comments(feedback: FeedbackStore, district: str, today: date, days: int = 7) -> list[Comment]:
    """The district's newest comments of the last `days` Bangkok days (at most feedback_latest.LATEST),
    newest first. Ingest redacted them; redacted again here, as defence in depth.

    One keyed read of the district's newest-comments document: the page's reading and redaction work does
    not grow with the comments stored (it used to read and rank seven days of them, and before that to
    redact them all: 3.2 s for 100 long ones).
    """
    since = datetime.combine(today - timedelta(days=days - 1), time(0), BANGKOK)
    out = []
    for entry in feedback.newest_comments(district):
        at = entry["at"] if entry["at"].tzinfo else entry["at"].replace(tzinfo=UTC)
        if at >= since:
            out.append(Comment(int(entry["s"]), redact(str(entry["t"]))[0], at))
    return out

"""The district's recent trend and the comments behind an alert, from notify's own vote sets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from services.notify.store import NotifyStore
from shared.pdpa import redact


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
    docs = store.day_documents(district, wanted)
    out = []
    for day in reversed(wanted):
        scores = [v[0] for v in docs.get(day, {}).get("v", {}).values()]
        out.append(TrendDay(day, len(scores), round(sum(scores) / len(scores), 2) if scores else None))
    return out


def recent_comments(store: NotifyStore, district: str, today: date, days: int = 7, limit: int = 20) -> list[Comment]:
    """Lowest scores first, then newest. Ingest redacted them; redacted again here, as defence in depth."""
    from datetime import UTC

    docs = store.day_documents(district, [today - timedelta(days=n) for n in range(days)])
    found = [Comment(int(c["s"]), redact(str(c["t"]))[0], datetime.fromtimestamp(float(c["at"]), UTC))
             for doc in docs.values() for c in doc.get("c", {}).values()]
    found.sort(key=lambda c: (c.score, -c.at.timestamp()))
    return found[:limit]

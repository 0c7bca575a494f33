"""The district's recent trend and the comments behind an alert, from notify's own vote sets."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

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
    docs = store.day_documents(district, wanted, fields=("v",))
    out = []
    for day in reversed(wanted):
        scores = [v[0] for v in docs.get(day, {}).get("v", {}).values()]
        out.append(TrendDay(day, len(scores), round(sum(scores) / len(scores), 2) if scores else None))
    return out


def recent_comments(store: NotifyStore, district: str, today: date, days: int = 7, limit: int = 20) -> list[Comment]:
    """Lowest scores first, then newest. Ingest redacted them; redacted again here, as defence in depth.

    The `limit` shown are chosen on their score and time alone, and only those are redacted: the page's
    redaction work does not grow with the number of comments stored (a hostile run of long comments
    used to be redacted whole on every view, 3.2 s for 100 of them).
    """
    docs = store.day_documents(district, [today - timedelta(days=n) for n in range(days)], fields=("c",))
    stored = (c for doc in docs.values() for c in doc.get("c", {}).values())
    chosen = heapq.nsmallest(limit, stored, key=lambda c: (int(c["s"]), -float(c["at"])))
    return [Comment(int(c["s"]), redact(str(c["t"]))[0], datetime.fromtimestamp(float(c["at"]), UTC))
            for c in chosen]

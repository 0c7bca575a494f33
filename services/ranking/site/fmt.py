"""How the site writes numbers, as Thai readers expect, and reads the stamps events carry.

Thai readers use Arabic digits with a comma between thousands and a point before decimals (as the
government's own statistics do). Dates are the platform's (shared/thaidate.py: Buddhist Era, Bangkok time).
"""

from __future__ import annotations

from datetime import UTC, datetime


def parse_moment(text: str | None) -> datetime | None:
    """An ISO 8601 UTC stamp as events carry it ("…Z"), or None."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def number(value: int | float | None, places: int = 0, *, empty: str = "–") -> str:
    """1,234 / 4.52; `empty` for a missing value (a district without votes has no mean)."""
    if value is None:
        return empty
    return f"{value:,.{places}f}"


def score(value: float | None) -> str:
    """Scores and means with two decimals: the fourth place ranks, the second is what a reader compares."""
    return number(value, 2)


def percent(part: int, whole: int) -> str:
    return f"{(100 * part / whole if whole else 0):.0f}%"

"""How the site writes dates and numbers: Buddhist-Era dates in Bangkok time, numbers as Thai readers expect.

Thai readers use Arabic digits with a comma between thousands and a point before decimals (as the
government's own statistics do); a date is "22 พ.ย. 2569" (day, abbreviated month, B.E. year = C.E. + 543).
English pages keep the Buddhist Era too ("22 Nov 2569 BE"): the programme's dates are Thai dates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from shared.timeutil import BANGKOK

BE_OFFSET = 543
MONTHS = {
    "th": ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def be_year(day: date) -> int:
    return day.year + BE_OFFSET


def be_date(day: date, lang: str = "th") -> str:
    """22 พ.ย. 2569 / 22 Nov 2569 BE."""
    text = f"{day.day} {MONTHS[lang][day.month - 1]} {be_year(day)}"
    return text if lang == "th" else text + " BE"


def short_date(day: date, lang: str = "th") -> str:
    """22 พ.ย. (a chart's axis, a table's row: the year is in the caption)."""
    return f"{day.day} {MONTHS[lang][day.month - 1]}"


def bangkok(moment: datetime) -> datetime:
    """An aware moment in Bangkok time; a naive one is UTC (what the store hands back)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BANGKOK)


def be_datetime(moment: datetime, lang: str = "th") -> str:
    """22 พ.ย. 2569 เวลา 14:05 น. / 22 Nov 2569 BE, 14:05 (Bangkok)."""
    local = bangkok(moment)
    if lang == "th":
        return f"{be_date(local.date(), 'th')} เวลา {local:%H:%M} น."
    return f"{be_date(local.date(), 'en')}, {local:%H:%M} (Bangkok)"


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

"""Dates and times for people, in one place: Buddhist-Era years, Bangkok time (the wire and the store keep UTC).

Used by the public site, the chiefs' pages and every mail, so one date reads the same wherever it is shown.
A Thai date is "22 พ.ย. 2569" (day, abbreviated month, B.E. year = C.E. + 543), a moment
"22 พ.ย. 2569 เวลา 14:05 น.".

English keeps the Buddhist Era too, marked "B.E.": "22 Nov 2569 B.E.", "22 Nov 2569 B.E., 14:05 (Bangkok)".
One rule for English everywhere (mails once wrote Common-Era years while the site wrote B.E.), and this one
because the programme's dates are Thai dates: an award quarter ("2569-Q4"), a campaign, a district's
official letters all carry the B.E. year, and a chief who forwards a mail must find the same date on the
site. The "B.E." mark keeps an English reader from taking 2569 for a typo.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from shared.timeutil import BANGKOK

BE_OFFSET = 543
MONTHS = {
    "th": ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
ERA_EN = "B.E."


def be_year(day: date) -> int:
    return day.year + BE_OFFSET


def be_date(day: date, lang: str = "th") -> str:
    """22 พ.ย. 2569 / 22 Nov 2569 B.E."""
    text = f"{day.day} {MONTHS[lang][day.month - 1]} {be_year(day)}"
    return text if lang == "th" else f"{text} {ERA_EN}"


def short_date(day: date, lang: str = "th") -> str:
    """22 พ.ย. (a chart's axis, a table's row: the year is in the caption)."""
    return f"{day.day} {MONTHS[lang][day.month - 1]}"


def bangkok(moment: datetime) -> datetime:
    """An aware moment in Bangkok time; a naive one is UTC (what the store hands back)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BANGKOK)


def be_datetime(moment: datetime, lang: str = "th") -> str:
    """22 พ.ย. 2569 เวลา 14:05 น. / 22 Nov 2569 B.E., 14:05 (Bangkok)."""
    local = bangkok(moment)
    if lang == "th":
        return f"{be_date(local.date(), 'th')} เวลา {local:%H:%M} น."
    return f"{be_date(local.date(), 'en')}, {local:%H:%M} (Bangkok)"


def be_period(first: date, last: date, lang: str = "th") -> str:
    """A week or a window, both ends in full: 16 พ.ย. 2569 - 22 พ.ย. 2569 / 16 Nov 2569 B.E. to 22 Nov 2569 B.E."""
    return f"{be_date(first, lang)} - {be_date(last, lang)}" if lang == "th" else \
        f"{be_date(first, lang)} to {be_date(last, lang)}"


def duration_th(seconds: float) -> str:
    """How long ago, in Thai: 3 วัน / 5 ชั่วโมง / 12 นาที."""
    hours = int(seconds // 3600)
    if hours >= 48:
        return f"{hours // 24} วัน"
    if hours >= 1:
        return f"{hours} ชั่วโมง"
    return f"{max(int(seconds // 60), 0)} นาที"

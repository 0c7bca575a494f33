"""Thai dates for people: Buddhist Era years, Bangkok time (the wire and the store keep UTC)."""

from __future__ import annotations

from datetime import date, datetime

from shared.timeutil import BANGKOK

MONTHS_SHORT = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
BE_OFFSET = 543


def thai_date(day: date) -> str:
    """22 พ.ย. 2569"""
    return f"{day.day} {MONTHS_SHORT[day.month - 1]} {day.year + BE_OFFSET}"


def thai_datetime(moment: datetime) -> str:
    """22 พ.ย. 2569 11:20 น. (Bangkok)"""
    local = moment.astimezone(BANGKOK)
    return f"{thai_date(local.date())} {local:%H:%M} น."


def english_datetime(moment: datetime) -> str:
    local = moment.astimezone(BANGKOK)
    return f"{local:%d %b %Y %H:%M} Bangkok time"


def duration_th(seconds: float) -> str:
    hours = int(seconds // 3600)
    if hours >= 48:
        return f"{hours // 24} วัน"
    if hours >= 1:
        return f"{hours} ชั่วโมง"
    return f"{max(int(seconds // 60), 0)} นาที"

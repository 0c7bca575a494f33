"""The sign-in mail of the chief's inbox (pure): Thai first, English second, the one-time link."""

from __future__ import annotations

import html
from datetime import datetime

from services.notify.inbox_access import SIGN_IN_S
from services.notify.messages import Message
from shared.districts import District
from shared.thaidate import be_datetime
from shared.timeutil import iso_utc


def sign_in_message(district: District, url: str, now: datetime) -> Message:
    minutes = SIGN_IN_S // 60
    subject = f"[อำเภอสร้างสุข] ลิงก์เข้ากล่องความคิดเห็น: อำเภอ{district.name_th}"
    text = "\n".join([
        f"ลิงก์เข้ากล่องความคิดเห็นของอำเภอ{district.name_th} จังหวัด{district.province_th}",
        f"ใช้ได้ครั้งเดียว ภายใน {minutes} นาที (ขอเมื่อ {be_datetime(now)})", url, "",
        "หากไม่ได้ขอ ไม่ต้องทำอะไร", "",
        f"Sign-in link to the feedback inbox of {district.name_en} District: one use, within {minutes} minutes.",
        "If you did not ask for it, ignore this message."])
    page = ('<!doctype html><html lang="th"><meta charset="utf-8"><body>'
            f"<p>ลิงก์เข้ากล่องความคิดเห็นของอำเภอ{html.escape(district.name_th)} ใช้ได้ครั้งเดียว ภายใน {minutes} นาที</p>"
            f'<p><a href="{html.escape(url)}">เข้ากล่องความคิดเห็น / Open the inbox</a></p>'
            "<p>หากไม่ได้ขอ ไม่ต้องทำอะไร</p>"
            f'<p lang="en">One use, within {minutes} minutes. If you did not ask for it, ignore this message.</p>'
            "</body></html>")
    payload = {"type": "inbox_sign_in", "district_code": district.code, "sent_at": iso_utc(now)}
    return Message(subject, text, page, [{"label": "เข้ากล่องความคิดเห็น", "url": url}], payload)

"""Messages to people, Thai first and English second: one per (receiver, coalesced events).

Pure: the same alerts and links give the same text. Transports pick the parts they can carry
(LINE: text and buttons; e-mail: subject, plain text and HTML; webhooks: the JSON `payload`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from services.notify.lifecycle import ACKNOWLEDGED, OPEN, RESOLVED, Alert
from services.notify.rules import LOW_MEAN, SHARP_DROP, UNHAPPY_BURST
from shared.districts import District
from shared.thaidate import be_datetime
from shared.timeutil import iso_utc

RULE_NAMES = {
    LOW_MEAN: ("คะแนนเฉลี่ยต่ำ", "Low mean score"),
    SHARP_DROP: ("คะแนนลดลงอย่างรวดเร็ว", "Sharp drop"),
    UNHAPPY_BURST: ("ความไม่พอใจพุ่งสูง", "Burst of unhappy votes"),
}
# An alert's status in Thai text (the chief's page, the centre's list, the digest): never the English code word.
STATUS_TH = {OPEN: "ยังไม่รับทราบ", ACKNOWLEDGED: "รับทราบแล้ว", RESOLVED: "แก้ไขแล้ว"}
EVENT_NAMES = {
    "firing": ("แจ้งเตือน", "Alert"),
    "reminder": ("เตือนซ้ำ ยังไม่ได้รับทราบ", "Reminder: not acknowledged yet"),
    "recovered": ("กลับสู่ปกติแล้ว", "Recovered"),
    "escalation": ("ยกระดับถึงผู้ว่าราชการจังหวัด: ไม่มีการรับทราบภายในกำหนด", "Escalated: not acknowledged in time"),
}


def event_kind(event: str) -> str:
    return event.split(":", 1)[0]


def figures_th(alert: Alert) -> str:
    f = alert.figures
    if alert.rule == LOW_MEAN:
        return f"คะแนนเฉลี่ย {f['days']} วัน {f['mean']:.2f} จาก {f['votes']} เสียง (เกณฑ์: ต่ำกว่า {f['below']:.2f})"
    if alert.rule == SHARP_DROP:
        return (f"คะแนนเฉลี่ย {f['days']} วัน {f['mean']:.2f} ({f['votes']} เสียง) ลดลงจาก {f['mean_before']:.2f} "
                f"({f['votes_before']} เสียง) ใน {f['days']} วันก่อนหน้า")
    return f"ไม่พอใจ (คะแนน 1-2) {f['unhappy']} จาก {f['votes']} เสียง ภายใน {f['minutes']} นาที"


def figures_en(alert: Alert) -> str:
    f = alert.figures
    if alert.rule == LOW_MEAN:
        return f"{f['days']}-day mean {f['mean']:.2f} from {f['votes']} votes (threshold: below {f['below']:.2f})"
    if alert.rule == SHARP_DROP:
        return (f"{f['days']}-day mean {f['mean']:.2f} ({f['votes']} votes), down from {f['mean_before']:.2f} "
                f"({f['votes_before']} votes) the {f['days']} days before")
    return f"{f['unhappy']} of {f['votes']} votes unhappy (score 1-2) within {f['minutes']} minutes"


@dataclass(frozen=True)
class Item:
    alert: Alert
    event: str
    link: str


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    buttons: list[dict]  # {"label", "url"}, at most 4 (LINE's buttons template); no nested arrays (FerretDB)
    payload: dict


def _district_th(d: District) -> str:
    return f"อำเภอ{d.name_th} จังหวัด{d.province_th}"


def _district_en(d: District) -> str:
    return f"{d.name_en} District, {d.province_en}"


def render(items: list[Item], district: District, now: datetime, inbox_link: str | None = None) -> Message:
    """The message for these items; `inbox_link` (the chief's only) leads to the district's feedback inbox."""
    kinds = sorted({event_kind(i.event) for i in items}, key=list(EVENT_NAMES).index)
    head_th = " / ".join(EVENT_NAMES[k][0] for k in kinds)
    head_en = " / ".join(EVENT_NAMES[k][1] for k in kinds)
    subject = f"[อำเภอสร้างสุข] {head_th}: {_district_th(district)} ({district.name_en})"
    lines_th = [f"อำเภอสร้างสุข: {head_th}", _district_th(district), be_datetime(now), ""]
    lines_en = [f"Amphoe Sang Suk: {head_en}", _district_en(district), be_datetime(now, "en"), ""]
    blocks: list[str] = []
    for n, item in enumerate(items, 1):
        rule_th, rule_en = RULE_NAMES[item.alert.rule]
        kind_th, kind_en = EVENT_NAMES[event_kind(item.event)]
        lines_th += [f"{n}. {rule_th} ({kind_th})", f"   {figures_th(item.alert)}",
                     f"   เริ่มเมื่อ {be_datetime(item.alert.opened_at)}", f"   ดูและตอบรับ: {item.link}"]
        lines_en += [f"{n}. {rule_en} ({kind_en}): {figures_en(item.alert)}", f"   {item.link}"]
        blocks.append(
            f"<li><strong>{html.escape(rule_th)}</strong> ({html.escape(kind_th)})<br>"
            f"{html.escape(figures_th(item.alert))}<br>"
            f"<span lang=en>{html.escape(rule_en)}: {html.escape(figures_en(item.alert))}</span><br>"
            f"เริ่มเมื่อ {html.escape(be_datetime(item.alert.opened_at))}<br>"
            f'<a href="{html.escape(item.link)}">เปิดหน้าเรื่องนี้ เพื่อรับทราบและบันทึกการแก้ไข / Open this alert</a></li>')
    inbox_html = ""
    if inbox_link:
        lines_th += ["", f"ความคิดเห็นทั้งหมดของอำเภอ (กล่องความคิดเห็น): {inbox_link}"]
        lines_en += ["", f"All the district's comments (feedback inbox): {inbox_link}"]
        inbox_html = f'<p><a href="{html.escape(inbox_link)}">กล่องความคิดเห็นของอำเภอ / Feedback inbox</a></p>'
    text = "\n".join([*lines_th, "", *lines_en])
    body_html = (
        '<!doctype html><html lang="th"><meta charset="utf-8">'
        f"<body><h1>{html.escape(head_th)}</h1><p>{html.escape(_district_th(district))}<br>"
        f"{html.escape(be_datetime(now))}</p><ol>{''.join(blocks)}</ol>{inbox_html}"
        f'<p lang="en">{html.escape(head_en)}: {html.escape(_district_en(district))}</p></body></html>')
    buttons = [{"label": f"เปิดเรื่องที่ {n}"[:20], "url": i.link} for n, i in enumerate(items[:4], 1)]
    if inbox_link and len(buttons) < 4:
        buttons.append({"label": "กล่องความคิดเห็น", "url": inbox_link})
    payload = {
        "type": "alerts", "district_code": district.code, "sent_at": iso_utc(now), "inbox_url": inbox_link,
        "items": [{"alert_id": i.alert.id, "event": i.event, "rule": i.alert.rule, "status": i.alert.status,
                   "firing": i.alert.firing, "opened_at": iso_utc(i.alert.opened_at), "figures": i.alert.figures,
                   "url": i.link} for i in items],
    }
    return Message(subject, text, body_html, buttons, payload)

"""The weekly digest (Monday 08:00 Bangkok) to each chief who wants it: the public board's figures for the
district (votes, mean, rank in the size group and its movement, over the board's last 7 days, asked of
ranking: services/notify/ranks.py), and the week's alerts. Sent through the outbox like alerts, claimed
once per (week, receiver), so a restart or a second consumer never sends it twice."""

from __future__ import annotations

import html
from dataclasses import asdict
from datetime import date, datetime, time, timedelta

from services.notify.directory import CHIEF
from services.notify.messages import RULE_NAMES, STATUS_TH, Message
from services.notify.outbox import Outbox
from services.notify.policy import Policy
from services.notify.ranks import RankSource
from services.notify.store import NotifyStore
from shared.board_words import GROUP_LABELS, WINDOW_LABELS
from shared.districts import Registry
from shared.thaidate import be_period
from shared.timeutil import BANGKOK, iso_utc

WINDOW = "last_7_days"  # the board's window the digest states
BOARD_KEY = "7d"  # its key in ranking's API (services/ranking/domain.py WINDOWS)
MOVES_TH = {"up": "ขึ้น {places} อันดับ", "down": "ลง {places} อันดับ", "same": "คงที่", "new": "ติดอันดับใหม่"}


def scheduled_moment(now: datetime, policy: Policy) -> datetime:
    """The latest digest moment at or before now (Bangkok wall time)."""
    local = now.astimezone(BANGKOK)
    monday = local.date() - timedelta(days=(local.weekday() - policy.digest.weekday) % 7)
    moment = datetime.combine(monday, time(policy.digest.hour), BANGKOK)
    if moment > local:
        moment -= timedelta(days=7)
    return moment


class WeeklyDigest:
    def __init__(self, store: NotifyStore, registry: Registry, policy: Policy, outbox: Outbox,
                 enabled: frozenset[str], ranks: RankSource):
        self.store, self.registry, self.policy, self.outbox = store, registry, policy, outbox
        self.enabled = enabled
        self.ranks = ranks
        self._done: str | None = None

    def run_if_due(self, now: datetime) -> int:
        moment = scheduled_moment(now, self.policy)
        week = moment.date().isoformat()
        if self._done == week or now - moment > timedelta(days=1):
            return 0
        if self.store.digests.find_one({"_id": week}):
            self._done = week
            return 0
        sent = self.run(moment.date(), now)
        self.store.digests.update_one({"_id": week}, {"$set": {"done_at": now, "messages": sent}}, upsert=True)
        self._done = week
        return sent

    def run(self, monday: date, now: datetime) -> int:
        last = monday - timedelta(days=1)
        first = last - timedelta(days=6)
        week_alerts: dict[str, list] = {}
        start = datetime.combine(first, time(0), BANGKOK)
        for alert in self.store.list_alerts(limit=5000):
            if alert.opened_at >= start:
                week_alerts.setdefault(alert.district, []).append(alert)
        sent = 0
        for contact in self.store.contacts():
            if contact.role != CHIEF or not contact.digest or contact.code not in self.registry:
                continue
            district = self.registry.get(contact.code)
            message = self.render(district, first, last, self.ranks.district(contact.code),
                                  week_alerts.get(contact.code, []), now)
            content = asdict(message)
            for transport in contact.channels:
                if transport not in self.enabled:
                    continue
                items = [(f"digest-{monday.isoformat()}", "digest")]
                if self.outbox.enqueue(f"{contact.key}/{transport}", contact.key, transport, items, None, now,
                                       content=content):
                    sent += 1
        return sent

    def render(self, district, first: date, last: date, board: dict | None, alerts: list, now: datetime) -> Message:
        """`board`: ranking's answer for the district (GET /v1/districts/<code>/rank), or None."""
        window = (board or {}).get("windows", {}).get(BOARD_KEY) or {}
        votes, mean, rank = window.get("votes", 0), window.get("mean"), window.get("rank")
        window_th, window_en = WINDOW_LABELS[WINDOW]
        group_th, group_en = GROUP_LABELS[district.size_group]
        mean_text = f"{mean:.2f}" if votes and mean is not None else "-"
        period = be_period(first, last)
        if board is None:
            rank_th = "ยังอ่านอันดับจากกระดานสาธารณะไม่ได้ในขณะนี้"
            rank_en = "rank unavailable (the public board did not answer)"
        elif rank is not None:
            ranked = window.get("ranked") if window.get("ranked") is not None else "-"
            rank_th = f"อันดับ {rank} จาก {ranked} ใน{group_th} ({window_th})"
            move = window.get("movement") or {}
            if move.get("status") in MOVES_TH:
                rank_th += f" ({MOVES_TH[move['status']].format(places=move.get('places', 0))})"
            rank_en = f"rank {rank} of {ranked} among {group_en.lower()} ({window_en.lower()})"
        elif not window.get("votes_needed") and window.get("sources_needed"):
            needed = window["sources_needed"]  # enough votes, from too few senders (docs/ranking.md)
            rank_th = f"ยังไม่มีอันดับ{window_th} (ต้องมีโหวตจากผู้ส่งต่างกันอีก {needed} ราย)"
            rank_en = f"no rank yet ({window_en.lower()}: votes from {needed} more distinct senders needed)"
        else:
            needed = window.get("votes_needed") or 0
            rank_th = f"ยังไม่มีอันดับ{window_th} (ต้องการอีก {needed} เสียง)"
            rank_en = f"no rank yet ({window_en.lower()}: {needed} more votes needed)"
        alert_lines = [f"- {RULE_NAMES[a.rule][0]} ({STATUS_TH.get(a.status, a.status)})" for a in alerts] or ["- ไม่มี"]
        thai = [f"อำเภอสร้างสุข: สรุปประจำสัปดาห์ {period}", f"อำเภอ{district.name_th} จังหวัด{district.province_th}",
                f"ผลโหวต{window_th} {votes} เสียง คะแนนเฉลี่ย {mean_text}", rank_th, "การแจ้งเตือนในสัปดาห์:",
                *alert_lines]
        english = (f"Weekly digest {be_period(first, last, 'en')}: {window_en.lower()} {votes} votes, "
                   f"mean {mean_text}, {rank_en}, {len(alerts)} alert(s).")
        stop_th, stop_en = "ยกเลิกการรับสรุปนี้: แจ้งสำนักงานกลาง", "To stop this digest, ask the central office."
        text = "\n".join([*thai, "", english, f"{stop_th} / {stop_en}"])
        page = digest_html(thai, english, stop_th, stop_en)
        subject = f"[อำเภอสร้างสุข] สรุปประจำสัปดาห์ {period}: อำเภอ{district.name_th}"
        payload = {"type": "weekly_digest", "district_code": district.code, "from": first.isoformat(),
                   "to": last.isoformat(), "window": WINDOW, "votes": votes, "mean": mean, "rank": rank,
                   "of": window.get("ranked"), "movement": window.get("movement"),
                   "alerts": [{"alert_id": a.id, "rule": a.rule, "status": a.status} for a in alerts],
                   "sent_at": iso_utc(now)}
        return Message(subject, text, page, [], payload)


def digest_html(thai: list[str], english: str, stop_th: str, stop_en: str) -> str:
    """The mail's HTML: Thai first, and every English part marked `lang="en"` so that a screen reader reads it
    with an English voice (WCAG 2.1 3.1.2) instead of spelling it in Thai."""
    esc = html.escape
    body = "".join(f"<p>{esc(line)}</p>" for line in thai if line)
    body += f'<p lang="en">{esc(english)}</p><p>{esc(stop_th)} / <span lang="en">{esc(stop_en)}</span></p>'
    return f'<!doctype html><html lang="th"><meta charset="utf-8"><body>{body}</body></html>'

"""The weekly digest (Monday 08:00 Bangkok) to each chief and deputy who wants it (`digest=yes` in the
directory), each with their own inbox link: the public board's figures for the
district (votes, mean, rank in the size group and its movement, over the board's last 7 days, asked of
ranking: services/notify/ranks.py), the week's alerts, the week's praise (per unit and person, from the
feedback view), three representative comments and the link to the district's inbox. Sent through the outbox
like alerts, claimed once per (week, receiver), so a restart or a second consumer never sends it twice.
`compose` builds one district's message without sending it (`sangsuk digest preview`, the centre's
"send now")."""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta

from services.notify.directory import CHIEF, INBOX_ROLES, Contact
from services.notify.feedback_store import FeedbackStore
from services.notify.inbox_access import InboxAccess, Reader
from services.notify.messages import RULE_NAMES, STATUS_TH, Message
from services.notify.outbox import Outbox
from services.notify.policy import Policy
from services.notify.praise_counts import PraiseCounts, count_praise
from services.notify.praise_store import PraiseDirectories
from services.notify.ranks import RankSource
from services.notify.store import NotifyStore
from shared.board_words import GROUP_LABELS, WINDOW_LABELS
from shared.districts import Registry
from shared.pdpa import redact
from shared.praise import PraiseDirectory
from shared.thaidate import be_period
from shared.timeutil import BANGKOK, bangkok_day, iso_utc

WINDOW = "last_7_days"  # the board's window the digest states
BOARD_KEY = "7d"  # its key in ranking's API (services/ranking/domain.py WINDOWS)
REPRESENTATIVE = 3  # comments quoted in a digest
MAX_QUOTE = 280  # characters of each
MOVES_TH = {"up": "ขึ้น {places} อันดับ", "down": "ลง {places} อันดับ", "same": "คงที่", "new": "ติดอันดับใหม่"}


def scheduled_moment(now: datetime, policy: Policy) -> datetime:
    """The latest digest moment at or before now (Bangkok wall time)."""
    local = now.astimezone(BANGKOK)
    monday = local.date() - timedelta(days=(local.weekday() - policy.digest.weekday) % 7)
    moment = datetime.combine(monday, time(policy.digest.hour), BANGKOK)
    if moment > local:
        moment -= timedelta(days=7)
    return moment


@dataclass(frozen=True)
class WeekFeedback:
    """What the citizens said in the week, for one district's digest."""

    praise: PraiseCounts | None = None
    comments: tuple[str, ...] = ()  # redacted, at most REPRESENTATIVE
    inbox_link: str | None = None


class WeeklyDigest:
    def __init__(self, store: NotifyStore, registry: Registry, policy: Policy, outbox: Outbox,
                 enabled: frozenset[str], ranks: RankSource, feedback: FeedbackStore | None = None,
                 praise: PraiseDirectories | None = None, inbox: InboxAccess | None = None):
        self.store, self.registry, self.policy, self.outbox = store, registry, policy, outbox
        self.enabled = enabled
        self.ranks = ranks
        self.feedback, self.praise, self.inbox = feedback, praise, inbox
        self._done: str | None = None

    def week_feedback(self, contact_key: str, code: str, first: date, last: date) -> WeekFeedback:
        """The week's praise and representative comments from the feedback view (7 keyed reads)."""
        link = self.inbox.entry_url(Reader(code, contact_key)) if self.inbox is not None else None
        if self.feedback is None:
            return WeekFeedback(inbox_link=link)
        docs = list(self.feedback.district_days(code, last, first))
        directory = self.praise.directory(code) if self.praise is not None else PraiseDirectory()
        return WeekFeedback(count_praise(docs, directory), representative(docs), link)

    def _week_of(self, code: str, monday: date) -> tuple[date, date, list]:
        """The seven Bangkok days before `monday` and the district's alerts opened in them."""
        last = monday - timedelta(days=1)
        first = last - timedelta(days=6)
        start = datetime.combine(first, time(0), BANGKOK)
        return first, last, [a for a in self.store.list_alerts(district=code, limit=200) if a.opened_at >= start]

    def compose(self, code: str, monday: date, now: datetime) -> tuple[Contact | None, Message]:
        """One district's digest for the week before `monday`, built and not sent: the chief's copy."""
        first, last, alerts = self._week_of(code, monday)
        contact = self.store.contact(f"{CHIEF}:{code}")
        week = self.week_feedback(f"{CHIEF}:{code}", code, first, last)
        return contact, self.render(self.registry.get(code), first, last, self.ranks.district(code), alerts, now,
                                    week)

    def linked(self, week: WeekFeedback, contact: Contact) -> WeekFeedback:
        """The same week with this reader's own inbox link (a link names the person it was sent to)."""
        if self.inbox is None:
            return week
        return replace(week, inbox_link=self.inbox.entry_url(Reader(contact.code, contact.key)))

    def send_now(self, code: str, now: datetime) -> int:
        """The centre's "send now": this district's digest of the last seven days, once per minute at most, to
        the chief and to each deputy who wants the digest."""
        readers = [c for c in self.store.district_readers(code) if c.role == CHIEF or c.digest]
        if not readers:
            return 0
        first, last, alerts = self._week_of(code, bangkok_day(now) + timedelta(days=1))
        board, week = self.ranks.district(code), self.week_feedback(readers[0].key, code, first, last)
        minute = now.strftime("%Y%m%dT%H%M")
        sent = 0
        for contact in readers:
            message = self.render(self.registry.get(code), first, last, board, alerts, now, self.linked(week, contact))
            sent += self._enqueue(contact, asdict(message), [(f"digest-now-{code}-{minute}", "digest")], now)
        return sent

    def _enqueue(self, contact: Contact, content: dict, items: list[tuple[str, str]], now: datetime) -> int:
        sent = 0
        for transport in contact.channels:
            if transport in self.enabled and self.outbox.enqueue(f"{contact.key}/{transport}", contact.key, transport,
                                                                 items, None, now, content=content):
                sent += 1
        return sent

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
        readers: dict[str, list[Contact]] = {}
        for contact in self.store.contacts():
            if contact.role in INBOX_ROLES and contact.digest and contact.code in self.registry:
                readers.setdefault(contact.code, []).append(contact)
        sent = 0
        for code, its_readers in readers.items():  # the district's figures read once, whoever reads them
            district, board = self.registry.get(code), self.ranks.district(code)
            week = self.week_feedback(its_readers[0].key, code, first, last)
            for contact in its_readers:
                message = self.render(district, first, last, board, week_alerts.get(code, []), now,
                                      self.linked(week, contact))
                sent += self._enqueue(contact, asdict(message), [(f"digest-{monday.isoformat()}", "digest")], now)
        return sent

    def render(self, district, first: date, last: date, board: dict | None, alerts: list, now: datetime,
               week: WeekFeedback | None = None) -> Message:
        """`board`: ranking's answer for the district (GET /v1/districts/<code>/rank), or None."""
        week = week or WeekFeedback()
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
                *alert_lines, *feedback_lines(week)]
        english = (f"Weekly digest {be_period(first, last, 'en')}: {window_en.lower()} {votes} votes, "
                   f"mean {mean_text}, {rank_en}, {len(alerts)} alert(s).")
        stop_th, stop_en = "ยกเลิกการรับสรุปนี้: แจ้งสำนักงานกลาง", "To stop this digest, ask the central office."
        text = "\n".join([*thai, "", english, f"{stop_th} / {stop_en}"])
        page = digest_html(thai, english, stop_th, stop_en, week.inbox_link)
        subject = f"[อำเภอสร้างสุข] สรุปประจำสัปดาห์ {period}: อำเภอ{district.name_th}"
        payload = {"type": "weekly_digest", "district_code": district.code, "from": first.isoformat(),
                   "to": last.isoformat(), "window": WINDOW, "votes": votes, "mean": mean, "rank": rank,
                   "of": window.get("ranked"), "movement": window.get("movement"),
                   "alerts": [{"alert_id": a.id, "rule": a.rule, "status": a.status} for a in alerts],
                   "praise_units": [{"unit_id": u.key, "votes": u.votes} for u in (week.praise.units if week.praise
                                                                                    else [])],
                   "comments": len(week.comments), "inbox_url": week.inbox_link, "sent_at": iso_utc(now)}
        buttons = [{"label": "กล่องความคิดเห็น", "url": week.inbox_link}] if week.inbox_link else []
        return Message(subject, text, page, buttons, payload)


def digest_html(thai: list[str], english: str, stop_th: str, stop_en: str, inbox_link: str | None = None) -> str:
    """The mail's HTML: Thai first, and every English part marked `lang="en"` so that a screen reader reads it
    with an English voice (WCAG 2.1 3.1.2) instead of spelling it in Thai."""
    esc = html.escape
    body = "".join(f"<p>{esc(line)}</p>" for line in thai if line)
    body += f'<p lang="en">{esc(english)}</p><p>{esc(stop_th)} / <span lang="en">{esc(stop_en)}</span></p>'
    if inbox_link:
        body += (f'<p><a href="{esc(inbox_link)}">เปิดกล่องความคิดเห็น / '
                 f'<span lang="en">Open the feedback inbox</span></a></p>')
    return f'<!doctype html><html lang="th"><meta charset="utf-8"><body>{body}</body></html>'


def representative(docs: list[dict], count: int = REPRESENTATIVE) -> tuple[str, ...]:
    """Three comments that show the week's range: the newest of the lowest score, the newest of the highest,
    then the newest of the rest; redacted again (defence in depth) and cut to `MAX_QUOTE` characters."""
    with_text = sorted((d for d in docs if d.get("comment")), key=lambda d: d["at"], reverse=True)
    if not with_text:
        return ()
    low = min(d["score"] for d in with_text)
    high = max(d["score"] for d in with_text)
    picked: list[dict] = []
    for choice in (next(d for d in with_text if d["score"] == low), next(d for d in with_text if d["score"] == high),
                   *with_text):
        if len(picked) == count:
            break
        if all(choice is not p for p in picked):
            picked.append(choice)
    return tuple(f"({d['score']}) " + redact(str(d["comment"])[:MAX_QUOTE])[0] for d in picked)


def feedback_lines(week: WeekFeedback) -> list[str]:
    """The digest's lines on praise, comments and the inbox (Thai; names only because it goes to the chief)."""
    lines: list[str] = []
    if week.praise is not None:
        units = ", ".join(f"{u.name} {u.votes}" for u in week.praise.units[:5]) or "ไม่มี"
        people = ", ".join(f"{p.name} {p.votes}" for p in week.praise.people[:5]) or "ไม่มี"
        lines += [f"คำชมหน่วยงานในสัปดาห์: {units}", f"คำชมเจ้าหน้าที่ในสัปดาห์: {people}"]
    if week.comments:
        lines += ["ความคิดเห็นตัวอย่าง:", *(f"- {c}" for c in week.comments)]
    if week.inbox_link:
        lines.append(f"ความคิดเห็นทั้งหมดในกล่องความคิดเห็น: {week.inbox_link}")
    return lines

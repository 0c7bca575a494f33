"""The weekly digest (Monday 08:00 Bangkok) to each chief who wants it: votes, mean, rank in the size
group and its movement, the week's alerts. Sent through the outbox like alerts, claimed once per
(week, receiver), so a restart or a second consumer never sends it twice."""

from __future__ import annotations

import html
from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from fractions import Fraction

from services.notify.directory import CHIEF
from services.notify.messages import RULE_NAMES, STATUS_TH, Message
from services.notify.outbox import Outbox
from services.notify.policy import Policy
from services.notify.store import NotifyStore
from shared.districts import Registry
from shared.thaidate import be_period
from shared.timeutil import BANGKOK, iso_utc

SIZE_TH = {"small": "อำเภอขนาดเล็ก", "medium": "อำเภอขนาดกลาง", "large": "อำเภอขนาดใหญ่"}


def scheduled_moment(now: datetime, policy: Policy) -> datetime:
    """The latest digest moment at or before now (Bangkok wall time)."""
    local = now.astimezone(BANGKOK)
    monday = local.date() - timedelta(days=(local.weekday() - policy.digest.weekday) % 7)
    moment = datetime.combine(monday, time(policy.digest.hour), BANGKOK)
    if moment > local:
        moment -= timedelta(days=7)
    return moment


def week_tallies(store: NotifyStore, first: date, last: date) -> dict[str, tuple[int, int]]:
    """(votes, sum) per district over the Bangkok days first..last (a weekly read of notify's vote sets)."""
    totals: dict[str, tuple[int, int]] = {}
    for doc in store.votes.find({"day": {"$gte": first.isoformat(), "$lte": last.isoformat()}}):
        scores = [v[0] for v in doc.get("v", {}).values()]
        n, s = totals.get(doc["d"], (0, 0))
        totals[doc["d"]] = (n + len(scores), s + sum(scores))
    return totals


def ranks(registry: Registry, totals: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """Rank by mean within each size group among districts with votes: {code: (rank, of)}."""
    out: dict[str, tuple[int, int]] = {}
    for group in ("small", "medium", "large"):
        voted = [(Fraction(totals[d.code][1], totals[d.code][0]), totals[d.code][0], d.code)
                 for d in registry if d.size_group == group and totals.get(d.code, (0, 0))[0] > 0]
        voted.sort(key=lambda t: (-t[0], -t[1], t[2]))
        for i, (_, _, code) in enumerate(voted, 1):
            out[code] = (i, len(voted))
    return out


class WeeklyDigest:
    def __init__(self, store: NotifyStore, registry: Registry, policy: Policy, outbox: Outbox,
                 enabled: frozenset[str]):
        self.store, self.registry, self.policy, self.outbox = store, registry, policy, outbox
        self.enabled = enabled
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
        this_week = week_tallies(self.store, first, last)
        before = week_tallies(self.store, first - timedelta(days=7), first - timedelta(days=1))
        rank_now, rank_before = ranks(self.registry, this_week), ranks(self.registry, before)
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
            message = self.render(district, first, last, this_week.get(contact.code, (0, 0)),
                                  rank_now.get(contact.code), rank_before.get(contact.code),
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

    def render(self, district, first: date, last: date, tally: tuple[int, int], rank, rank_before,
               alerts: list, now: datetime) -> Message:
        votes, total = tally
        mean = f"{total / votes:.2f}" if votes else "-"
        period = be_period(first, last)
        if rank:
            rank_th = f"อันดับ {rank[0]} จาก {rank[1]} ใน{SIZE_TH[district.size_group]}"
            if rank_before:
                moved = rank_before[0] - rank[0]
                rank_th += (f" (ขึ้น {moved} อันดับ)" if moved > 0 else f" (ลง {-moved} อันดับ)" if moved < 0
                            else " (คงที่)")
            rank_en = f"rank {rank[0]} of {rank[1]} ({district.size_group})"
        else:
            rank_th, rank_en = "ยังไม่มีอันดับ (ไม่มีผลโหวตในสัปดาห์นี้)", "no rank (no votes this week)"
        alert_lines = [f"- {RULE_NAMES[a.rule][0]} ({STATUS_TH[a.status]})" for a in alerts] or ["- ไม่มี"]
        text = "\n".join([
            f"อำเภอสร้างสุข: สรุปประจำสัปดาห์ {period}", f"อำเภอ{district.name_th} จังหวัด{district.province_th}",
            f"ผลโหวต {votes} เสียง คะแนนเฉลี่ย {mean}", rank_th, "การแจ้งเตือนในสัปดาห์:", *alert_lines, "",
            f"Weekly digest {be_period(first, last, 'en')}: {votes} votes, mean {mean}, {rank_en}, "
            f"{len(alerts)} alert(s).",
            "ยกเลิกการรับสรุปนี้: แจ้งสำนักงานกลาง / To stop this digest, ask the central office."])
        body = "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line)
        page = f'<!doctype html><html lang="th"><meta charset="utf-8"><body>{body}</body></html>'
        subject = f"[อำเภอสร้างสุข] สรุปประจำสัปดาห์ {period}: อำเภอ{district.name_th}"
        payload = {"type": "weekly_digest", "district_code": district.code, "from": first.isoformat(),
                   "to": last.isoformat(), "votes": votes, "mean": None if not votes else round(total / votes, 4),
                   "rank": rank[0] if rank else None, "of": rank[1] if rank else None,
                   "rank_before": rank_before[0] if rank_before else None,
                   "alerts": [{"alert_id": a.id, "rule": a.rule, "status": a.status} for a in alerts],
                   "sent_at": iso_utc(now)}
        return Message(subject, text, page, [], payload)

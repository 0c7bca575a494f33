"""Alert lifecycle, Alertmanager's way, as pure functions over `Alert` values.

An alert is (district, rule). `firing` follows the data; `status` follows the people:
open -> acknowledged (with a note) -> resolved (with what was done). A resolved alert whose data
still looks bad does not reopen until the data has recovered once, so a chief who has acted is not
pestered by a 7-day mean that takes days to move.

Events an alert can owe its receivers (each sent once per receiver, see the notification log):
`firing:<episode>`, `reminder:<episode>:<n>` (every repeat interval while firing and still open),
`recovered:<episode>` (send_resolved), `escalation` (open longer than the escalation age: the
provincial governor gets it too). Keys use ':' as they are field names in the store ('.' would nest).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from services.notify.policy import Lifecycle
from services.notify.rules import Finding

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
STATUSES = (OPEN, ACKNOWLEDGED, RESOLVED)
CHIEF, GOVERNOR = "chief", "governor"
MAX_NOTE = 2000


class TransitionError(ValueError):
    """A status change that the alert's current status does not allow, or a missing note."""


@dataclass(frozen=True)
class Alert:
    id: str
    district: str
    rule: str
    seq: int
    opened_at: datetime
    firing: bool
    episode: int
    fired_at: datetime
    figures: dict
    status: str = OPEN
    recovered_at: datetime | None = None
    notified: dict[str, datetime] = field(default_factory=dict)
    acknowledged_at: datetime | None = None
    acknowledge_note: str | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    resolve_note: str | None = None
    resolved_by: str | None = None
    escalated_at: datetime | None = None

    def age(self, now: datetime) -> float:
        return (now - self.opened_at).total_seconds()


def alert_id(district: str, rule: str, seq: int) -> str:
    return f"{district}-{rule}-{seq}"


def observe(district: str, current: Alert | None, finding: Finding, now: datetime) -> Alert | None:
    """The alert after a rule's verdict; None when nothing changed and nothing is to be created.

    `current` is the district's latest alert for the rule, whatever its status.
    """
    if finding.firing:
        if current is None or (current.status == RESOLVED and not current.firing):
            seq = 1 if current is None else current.seq + 1
            return Alert(alert_id(district, finding.rule, seq), district, finding.rule, seq, opened_at=now,
                         firing=True, episode=1, fired_at=now, figures=finding.figures)
        if not current.firing:
            return replace(current, firing=True, episode=current.episode + 1, fired_at=now, recovered_at=None,
                           figures=finding.figures)
        return replace(current, figures=finding.figures) if current.figures != finding.figures else None
    if current is not None and current.firing:
        return replace(current, firing=False, recovered_at=now, figures=finding.figures)
    return None


@dataclass(frozen=True)
class Silence:
    """The chief or the centre mutes a district (and one rule, or all) until a time, with a note."""

    id: str
    district: str
    rule: str | None
    until: datetime
    note: str
    created_by: str
    created_at: datetime

    def mutes(self, alert: Alert, now: datetime) -> bool:
        return self.district == alert.district and self.rule in (None, alert.rule) and now < self.until


@dataclass(frozen=True)
class Due:
    alert: Alert
    event: str
    audience: str


def _reminders(alert: Alert) -> list[str]:
    prefix = f"reminder:{alert.episode}:"
    return [k for k in alert.notified if k.startswith(prefix)]


def due_events(alerts: list[Alert], silences: list[Silence], now: datetime, timing: Lifecycle) -> list[Due]:
    """What one district's alerts owe their receivers now.

    Group wait: a firing or recovered event waits `group_wait` from its own moment, and when the
    first of a district's waits ends, every pending one of that district goes in the same message.
    Reminders and escalations are not held back; they join whatever goes out with them.
    """
    grouped: list[tuple[Due, datetime]] = []
    immediate: list[Due] = []
    for alert in alerts:
        if any(s.mutes(alert, now) for s in silences):
            continue
        firing_key = f"firing:{alert.episode}"
        if alert.firing and alert.status != RESOLVED and firing_key not in alert.notified:
            grouped.append((Due(alert, firing_key, CHIEF), alert.fired_at + timing.group_wait))
            continue
        if alert.firing and alert.status == OPEN and firing_key in alert.notified:
            sent = [alert.notified[firing_key], *(alert.notified[k] for k in _reminders(alert))]
            if now >= max(sent) + timing.repeat_interval:
                immediate.append(Due(alert, f"reminder:{alert.episode}:{len(sent)}", CHIEF))
        recovered_key = f"recovered:{alert.episode}"
        if (not alert.firing and alert.recovered_at and firing_key in alert.notified
                and recovered_key not in alert.notified):
            grouped.append((Due(alert, recovered_key, CHIEF), alert.recovered_at + timing.group_wait))
        if (alert.status == OPEN and "escalation" not in alert.notified and "firing:1" in alert.notified
                and now >= alert.opened_at + timing.escalate_after):
            immediate.append(Due(alert, "escalation", GOVERNOR))
    released = [d for d, _ in grouped] if any(due_at <= now for _, due_at in grouped) else []
    return released + immediate


def mark_notified(alert: Alert, event: str, now: datetime) -> Alert:
    notified = {**alert.notified, event: now}
    escalated_at = now if event == "escalation" else alert.escalated_at
    return replace(alert, notified=notified, escalated_at=escalated_at)


def _note(note: str | None, what: str) -> str:
    text = (note or "").strip()
    if not text:
        raise TransitionError(f"a note is required to {what} an alert")
    if len(text) > MAX_NOTE:
        raise TransitionError(f"the note is {len(text)} characters; at most {MAX_NOTE}")
    return text


def acknowledge(alert: Alert, note: str | None, now: datetime, by: str | None = None) -> Alert:
    if alert.status != OPEN:
        raise TransitionError(f"the alert is {alert.status}; only an open alert can be acknowledged")
    return replace(alert, status=ACKNOWLEDGED, acknowledged_at=now, acknowledge_note=_note(note, "acknowledge"),
                   acknowledged_by=by)


def resolve(alert: Alert, note: str | None, now: datetime, by: str | None = None) -> Alert:
    if alert.status == RESOLVED:
        raise TransitionError("the alert is already resolved")
    text = _note(note, "resolve")
    # Resolving answers the alert too: it counts as acknowledged then, if it was not before.
    return replace(alert, status=RESOLVED, resolved_at=now, resolve_note=text, resolved_by=by,
                   acknowledged_at=alert.acknowledged_at or now, acknowledged_by=alert.acknowledged_by or by)

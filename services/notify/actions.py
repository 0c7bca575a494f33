"""What people do to alerts (acknowledge, resolve, silence), shared by the chief's page and the centre's API."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from services.notify import metrics
from services.notify.lifecycle import MAX_NOTE, RESOLVED, Alert, Silence, TransitionError, acknowledge, resolve
from services.notify.rules import RULES
from services.notify.store import NotifyStore
from shared.districts import Registry

MAX_SILENCE = timedelta(days=30)


class AlertNotFound(LookupError):
    pass


class AlertActions:
    def __init__(self, store: NotifyStore, registry: Registry, clock: Callable[[], datetime]):
        self.store = store
        self.registry = registry
        self.clock = clock

    def get(self, alert_id: str) -> Alert:
        alert = self.store.alert(alert_id) if len(alert_id) <= 64 else None
        if alert is None:
            raise AlertNotFound(f"no alert {alert_id!r}")
        return alert

    def acknowledge(self, alert_id: str, note: str | None, by: str) -> Alert:
        alert = self.get(alert_id)
        updated = acknowledge(alert, note, self.clock(), by)
        self._save(updated, alert.status)
        metrics.TIME_TO_ACKNOWLEDGE.observe(max((updated.acknowledged_at - updated.opened_at).total_seconds(), 0))
        return updated

    def resolve(self, alert_id: str, note: str | None, by: str) -> Alert:
        alert = self.get(alert_id)
        updated = resolve(alert, note, self.clock(), by)
        self._save(updated, alert.status)
        if alert.acknowledged_at is None:
            metrics.TIME_TO_ACKNOWLEDGE.observe(max((updated.acknowledged_at - updated.opened_at).total_seconds(), 0))
        metrics.TIME_TO_RESOLVE.observe(max((updated.resolved_at - updated.opened_at).total_seconds(), 0))
        return updated

    def _save(self, updated: Alert, expected: str) -> None:
        if not self.store.set_status(updated, expected):
            raise TransitionError("the alert was changed meanwhile; reload the page and try again")

    def silence_alert(self, alert_id: str, whole_district: bool, until: datetime, note: str | None,
                      by: str) -> Silence:
        """A silence from an alert's page: only while the alert is not resolved (a resolved alert's link must
        not keep the power to mute the district's next alerts)."""
        alert = self.get(alert_id)
        if alert.status == RESOLVED:
            raise TransitionError("the alert is resolved; a resolved alert cannot silence anything")
        return self.silence(alert.district, None if whole_district else alert.rule, until, note, by)

    def silence(self, district: str, rule: str | None, until: datetime, note: str | None, by: str) -> Silence:
        now = self.clock()
        if district not in self.registry:
            raise ValueError(f"district code {district!r} is not in the programme")
        if rule is not None and rule not in RULES:
            raise ValueError(f"rule must be one of {', '.join(RULES)} (or none for all)")
        if not now < until <= now + MAX_SILENCE:
            raise ValueError("a silence must end in the future and within 30 days")
        text = (note or "").strip()
        if not text or len(text) > MAX_NOTE:
            raise ValueError(f"a silence needs a note (at most {MAX_NOTE} characters) saying why")
        silence = Silence(uuid.uuid4().hex, district, rule, until, text, by, now)
        self.store.add_silence(silence)
        return silence

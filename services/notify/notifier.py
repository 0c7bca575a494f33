"""Routes an alert's due events to people: the chief and the deputies of the district (those whose directory
row does not say `alerts=no`), the governor of its province, on each transport the person wants; renders
each person's message, with their own alert and inbox links, and hands it to the outbox."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import asdict
from datetime import datetime

from services.notify import metrics
from services.notify.directory import CHIEF, GOVERNOR, Contact, inbox_district
from services.notify.inbox_access import InboxAccess, Reader
from services.notify.lifecycle import Due
from services.notify.links import AlertLinks
from services.notify.messages import Item, render
from services.notify.outbox import Outbox, Render
from services.notify.store import NotifyStore
from shared.districts import Registry

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, store: NotifyStore, registry: Registry, links: AlertLinks, enabled: frozenset[str],
                 inbox: InboxAccess | None = None):
        self.store = store
        self.inbox = inbox
        self.registry = registry
        self.links = links
        self.enabled = enabled
        self.outbox = Outbox(store)

    def renderer(self, district_code: str, contact_key: str) -> Render:
        def render_items(items: list[tuple[str, str]], now: datetime) -> dict:
            rendered = []
            for alert_id, event in items:
                alert = self.store.alert(alert_id)
                if alert is not None:
                    rendered.append(Item(alert, event, self.links.url(alert_id, contact_key)))
            inbox_link = None
            if self.inbox is not None and inbox_district(contact_key) == district_code:
                inbox_link = self.inbox.entry_url(Reader(district_code, contact_key))
            return asdict(render(rendered, self.registry.get(district_code), now, inbox_link))

        return render_items

    def render_for_draft(self, draft: dict) -> Render:
        alert_id = draft["keys"][0].split("|")[0]
        return self.renderer(alert_id.split("-")[0], draft["contact"])

    def send(self, district_code: str, dues: list[Due], now: datetime) -> int:
        """Queue the messages for these events, then record them as notified. Safe to repeat."""
        district = self.registry.get(district_code)
        audiences: dict[str, list[Due]] = defaultdict(list)
        for due in dues:
            audiences[due.audience].append(due)
        by_contact: dict[str, tuple[Contact, list[Due]]] = {}
        for audience, its_dues in audiences.items():
            if audience == CHIEF:
                wanted, nobody = self.store.district_readers(district_code), f"{CHIEF}:{district_code}"
            else:
                nobody = f"{GOVERNOR}:{district.province_code}"
                wanted = [c for c in [self.store.contact(nobody)] if c is not None]
            wanted = [c for c in wanted if c.alerts]
            if not wanted:
                metrics.UNROUTABLE.labels("not_in_directory").inc()
                log.warning("no receiver in the directory", extra={"receiver": nobody})
            for contact in wanted:
                by_contact[contact.key] = (contact, its_dues)
        queued = 0
        for contact_key, (contact, its_dues) in by_contact.items():
            items = [(d.alert.id, d.event) for d in its_dues]
            for transport in contact.channels:
                if transport not in self.enabled:
                    metrics.UNROUTABLE.labels(f"{transport}_off").inc()
                    continue
                message_id = self.outbox.enqueue(f"{contact_key}/{transport}", contact_key, transport, items,
                                                 self.renderer(district_code, contact_key), now)
                if message_id:
                    queued += 1
                    metrics.MESSAGES_QUEUED.labels(transport).inc()
        for due in dues:
            self.store.mark_notified(due.alert.id, due.event, now)
            metrics.EVENTS_DECIDED.labels(due.event.split(":")[0]).inc()
        return queued

"""Transports: LINE push, SMTP e-mail, signed webhooks. Each raises `Retry` or `GiveUp` on failure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.notify.directory import Contact


class Retry(Exception):
    """Worth trying again later; `after_s` is the peer's Retry-After when it gave one."""

    def __init__(self, reason: str, after_s: float | None = None):
        super().__init__(reason)
        self.after_s = after_s


class GiveUp(Exception):
    """Trying again cannot help (a refused address, a 4xx): dead-lettered at once."""


@dataclass(frozen=True)
class Outgoing:
    """One message to one receiver, as the outbox holds it."""

    message_id: str
    subject: str
    text: str
    html: str
    buttons: list[dict]  # {"label", "url"}
    payload: dict


class Transport(Protocol):
    name: str

    def send(self, outgoing: Outgoing, contact: Contact) -> None: ...


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    from shared.timeutil import utcnow

    try:
        return max((parsedate_to_datetime(value) - utcnow()).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None

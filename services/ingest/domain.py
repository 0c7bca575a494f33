"""Vote rules at ingest: from a validated request to the event that may leave ingest.

Pure functions, no I/O: the redaction and hashing of personal data happen here, before anything
is published or stored.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta

from shared.events import VoteEvent
from shared.pdpa import keyed_hash, redact, voter_key
from shared.timeutil import BANGKOK, bangkok_day


def new_vote_id() -> str:
    return str(uuid.uuid4())


def draft_vote(request: dict, *, channel: str, received_at: datetime, voter_secret: bytes,
               vote_id: str) -> tuple[VoteEvent, int]:
    """The event for a validated request, and how many personal identifiers were redacted."""
    comment, redacted = redact(request.get("comment") or "")
    staff = request.get("staff") or None
    if staff:
        staff, staff_redacted = redact(staff)
        redacted += staff_redacted
    identity = request.get("voter_id")
    event = VoteEvent(
        vote_id=vote_id,
        district_code=request["district_code"],
        score=request["score"],
        comment=comment,
        staff=staff,
        service=request.get("service"),
        channel=channel,
        voter_key=voter_key(voter_secret, channel, identity) if identity else None,
        submitted_at=request.get("submitted_at") or received_at,
        received_at=received_at,
    )
    return event, redacted


def fingerprint(body: object) -> str:
    """What a request asked for, to tell an honest retry from a reused Idempotency-Key."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def idempotency_claim_id(secret: bytes, channel: str, key: str) -> str:
    return "idem:" + keyed_hash(secret, "idempotency", channel, key)


def voter_day_claim_id(secret: bytes, event: VoteEvent) -> str | None:
    """One counted vote per voter per district per Bangkok day (the day the citizen voted)."""
    if not event.voter_key:
        return None
    day = bangkok_day(event.submitted_at).isoformat()
    return "voter:" + keyed_hash(secret, "voter-day", event.voter_key, event.district_code, day)


def voter_day_expiry(event: VoteEvent) -> datetime:
    """Keep the claim until the vote's Bangkok day is over, plus a day for clock skew."""
    day = bangkok_day(event.submitted_at)
    return datetime(day.year, day.month, day.day, tzinfo=BANGKOK) + timedelta(days=2)

"""Vote rules at ingest: from a validated request to the event that may leave ingest.

Pure functions, no I/O: the redaction and hashing of personal data happen here, before anything
is published or stored, and so do the rules that depend on the channel (who must name the voter,
who may backdate, which day a voter's one vote belongs to). Whether a vote is flagged is scoring's to
decide (shared/flags.py); ingest only hashes what the rules need into the event.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, datetime, timedelta

from shared.events import VoteEvent
from shared.flags import ADDRESS_CHANNELS
from shared.pdpa import keyed_hash, redact, source_key, voter_key
from shared.timeutil import BANGKOK, bangkok_day
from shared.vote_rules import BACKDATING_CHANNELS, LIVE_CLOCK_SKEW_SECONDS, PUBLIC_CHANNELS


def new_vote_id() -> str:
    return str(uuid.uuid4())


def draft_vote(request: dict, *, channel: str, received_at: datetime, voter_secret: bytes,
               vote_id: str, key_id: str | None = None, address: str | None = None) -> tuple[VoteEvent, int]:
    """The event for a validated request, and how many personal identifiers were redacted.

    `key_id` names the API key that posted it (kiosk, import, the bots): their votes' source (`source_key`)
    and the key rules' subject (`key_ref`); `address` is the client's, the address rules' subject on qr and
    web (`address_key`). Both are hashed here: scoring decides the flags from them (shared/flags.py).
    """
    comment, redacted = redact(request.get("comment") or "")
    staff = request.get("staff") or None
    if staff:
        staff, staff_redacted = redact(staff)
        redacted += staff_redacted
    identity = request.get("voter_id")
    voter = voter_key(voter_secret, channel, identity) if identity else None
    event = VoteEvent(
        vote_id=vote_id,
        district_code=request["district_code"],
        score=request["score"],
        comment=comment,
        staff=staff,
        service=request.get("service"),
        channel=channel,
        voter_key=voter,
        submitted_at=request.get("submitted_at") or received_at,
        received_at=received_at,
        source_key=source_key(voter_secret, channel, voter, key_id, public=channel in PUBLIC_CHANNELS),
        address_key=address_key(voter_secret, address) if channel in ADDRESS_CHANNELS else None,
        key_ref=keyed_hash(voter_secret, "key", key_id)[:32] if key_id else None,
    )
    return event, redacted


def address_key(secret: bytes, address: str | None) -> str:
    """The client address as the flag rules and the per-IP window know it: an IP is personal data."""
    return keyed_hash(secret, "ip", address or "unknown")[:32]


def channel_problems(request: dict, channel: str, received_at: datetime) -> dict[str, list[str]]:
    """What this channel may not send, as field reasons (empty when the vote is acceptable).

    A live channel's vote happens when it arrives: only channels that upload votes collected
    offline (kiosk, import) may place one in the past. Public channels must name the voter,
    since one vote per voter per day is the only limit a citizen's device cannot escape.
    """
    problems: dict[str, list[str]] = {}
    if channel in PUBLIC_CHANNELS and not request.get("voter_id"):
        problems["voter_id"] = [f"is required on the '{channel}' channel: send the voter's identity on the channel "
                                "(LINE userId, device id…); it is hashed on arrival"]
    submitted = request.get("submitted_at")
    live = channel not in BACKDATING_CHANNELS
    if live and submitted is not None and abs(submitted - received_at) > timedelta(seconds=LIVE_CLOCK_SKEW_SECONDS):
        problems["submitted_at"] = [
            f"is more than {LIVE_CLOCK_SKEW_SECONDS // 60} minutes from the time of receipt; only the kiosk "
            "and import channels may send earlier votes: omit it, or send the current time"]
    return problems


def fingerprint(body: object) -> str:
    """What a request asked for, to tell an honest retry from a reused Idempotency-Key.

    Any JSON value has one: text that no UTF-8 encoder accepts (a lone surrogate) is hashed in its
    ASCII-escaped form instead of raising.
    """
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    try:
        data = canonical.encode("utf-8")
    except UnicodeEncodeError:
        data = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode("ascii")
    return hashlib.sha256(data).hexdigest()


def idempotency_claim_id(secret: bytes, channel: str, key: str) -> str:
    return "idem:" + keyed_hash(secret, "idempotency", channel, key)


def voter_day(event: VoteEvent) -> date:
    """The voter's day is the Bangkok day the vote was received: backdating cannot buy another day."""
    return bangkok_day(event.received_at)


def voter_day_claim_id(secret: bytes, event: VoteEvent) -> str | None:
    """One counted vote per voter per district per Bangkok day of receipt."""
    if not event.voter_key:
        return None
    return "voter:" + keyed_hash(secret, "voter-day", event.voter_key, event.district_code,
                                 voter_day(event).isoformat())


def voter_day_expiry(event: VoteEvent) -> datetime:
    """Keep the claim until the voter's Bangkok day is over, plus a day for clock skew."""
    day = voter_day(event)
    return datetime(day.year, day.month, day.day, tzinfo=BANGKOK) + timedelta(days=2)

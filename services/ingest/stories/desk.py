"""Taking a story and its consent, and a withdrawal: the one path for every channel (QR page, LINE).

The text is checked like a comment (CleanText), redacted (shared/pdpa) and published to stories.v1
with the consent (publish yes/no, credit, wording version, channel, time) and the vote's hashed voter;
nothing else identifies the citizen. The withdrawal code is returned once and never kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from pymongo.errors import PyMongoError

from services.ingest.publisher import EventPublisher
from services.ingest.stories import codes
from services.ingest.stories.credit import ANONYMOUS, credit_name
from services.ingest.stories.register import StoryRegister
from services.ingest.stories.wording import CONSENT_VERSION
from shared.claims import RateLimiter
from shared.events import CREDITS, STORY_MAX, STORY_TOLD, STORY_WITHDRAWN, StoryEvent
from shared.fields import CleanText
from shared.pdpa import keyed_hash, redact

log = logging.getLogger(__name__)
NAME_MAX = 60


class StoryRequestSchema(Schema):
    """A story as a channel hands it over (the page's form, the LINE conversation's answers)."""

    class Meta:
        unknown = RAISE

    text = CleanText(required=True, max_length=STORY_MAX, validate=validate.Length(min=1))
    publish = fields.Boolean(required=True, allow_none=False)
    credit = fields.String(load_default=ANONYMOUS, validate=validate.OneOf(CREDITS))
    name = CleanText(load_default="", max_length=NAME_MAX, single_line=True)


class Told(StrEnum):
    TOLD = "told"
    INVALID = "invalid"
    ALREADY = "already"
    BUSY = "busy"


class Withdrawn(StrEnum):
    WITHDRAWN = "withdrawn"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    BUSY = "busy"


@dataclass
class TellOutcome:
    result: Told
    code: str | None = None  # shown once to the citizen; never stored
    fields: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class VoteRef:
    """The vote a story follows, as the channel knows it (the QR page's signed link, LINE's state)."""

    vote_id: str
    district_code: str
    voter_key: str | None


class StoryDesk:
    def __init__(self, publisher: EventPublisher, register: StoryRegister, limiter: RateLimiter, *,
                 secret: bytes, clock: Callable[[], datetime]):
        self.publisher = publisher
        self.register = register
        self.limiter = limiter  # withdrawals per address (or LINE user) per minute
        self.secret = secret
        self.clock = clock
        self.schema = StoryRequestSchema()

    def tell(self, vote: VoteRef, channel: str, body: dict) -> TellOutcome:
        try:
            data = self.schema.load(body)
        except ValidationError as exc:
            return TellOutcome(Told.INVALID, fields=exc.messages)
        shown = credit_name(data["credit"], data["name"]) if data["publish"] else None
        if data["publish"] and data["credit"] != ANONYMOUS and shown is None:
            return TellOutcome(Told.INVALID, fields={"name": ["needed for this credit"]})
        text, redactions = redact(data["text"])
        code = codes.new_code()
        story_id = codes.story_id(self.secret, codes.normalise(code))
        vote_ref = keyed_hash(self.secret, "story-vote", vote.vote_id)
        try:
            if not self.register.take(story_id, vote_ref, vote.district_code):
                return TellOutcome(Told.ALREADY)
        except PyMongoError as exc:  # the store is away: nothing taken, nothing published
            log.warning("story register unavailable", extra={"error": repr(exc)})
            return TellOutcome(Told.BUSY)
        event = StoryEvent(story_id, STORY_TOLD, vote.district_code, channel, self.clock(), vote_id=vote.vote_id,
                           voter_key=vote.voter_key, text=text, publish=data["publish"],
                           credit=data["credit"] if data["publish"] else ANONYMOUS, credit_name=shown,
                           consent_version=CONSENT_VERSION)
        [error] = self.publisher.publish([event])
        if error is not None:
            self.register.drop(story_id, vote_ref)
            return TellOutcome(Told.BUSY)
        log.info("story told", extra={"district_code": vote.district_code, "channel": channel,
                                      "publish": data["publish"], "redactions": redactions})
        return TellOutcome(Told.TOLD, code=code)

    def withdraw(self, typed: str | None, channel: str, subject: str) -> tuple[Withdrawn, float | None]:
        """Withdraw the story whose code was typed; `subject` (an address, a hashed LINE user) is rate-limited
        before the code is even read, so guessing costs the guesser, never the store."""
        now = self.clock()
        try:
            retry = self.limiter.hit(f"story-withdraw:{subject}", 1, now)
        except PyMongoError as exc:
            log.warning("withdrawal limiter unavailable", extra={"error": repr(exc)})
            return Withdrawn.BUSY, None
        if retry is not None:
            return Withdrawn.RATE_LIMITED, retry
        code = codes.normalise(typed)
        if code is None:
            return Withdrawn.NOT_FOUND, None
        story_id = codes.story_id(self.secret, code)
        try:
            district = self.register.district_of(story_id)
        except PyMongoError as exc:
            log.warning("story register unavailable", extra={"error": repr(exc)})
            return Withdrawn.BUSY, None
        if district is None:
            return Withdrawn.NOT_FOUND, None
        [error] = self.publisher.publish([StoryEvent(story_id, STORY_WITHDRAWN, district, channel, now)])
        if error is not None:
            return Withdrawn.BUSY, None
        log.info("story withdrawn", extra={"district_code": district, "channel": channel})
        return Withdrawn.WITHDRAWN, None

"""The intake handler: what happens to a channel's votes between validation and the 202.

In business terms: a retried request gets its first answer again; a voter counts once per
district per Bangkok day; a vote is only reported accepted once Kafka holds it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pymongo.errors import PyMongoError

from services.ingest import domain, metrics
from services.ingest.claims import FAILED, PUBLISHED, Claim, ClaimStore, NewClaim
from services.ingest.publisher import EventPublisher
from shared.errors import ApiError
from shared.events import VoteEvent

log = logging.getLogger(__name__)


@dataclass
class Submission:
    """A validated vote request and what identifies a retry of it."""

    request: dict
    idempotency_key: str | None = None
    fingerprint: str | None = None


@dataclass
class Outcome:
    status: int
    vote_id: str | None = None
    error: str | None = None
    message: str | None = None
    fields: dict[str, list[str]] = field(default_factory=dict)
    replayed: bool = False
    retry_after: int | None = None

    def body(self) -> dict:
        if self.status == 202:
            return {"vote_id": self.vote_id}
        body: dict = {"error": self.error, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


@dataclass
class _Item:
    index: int
    submission: Submission
    event: VoteEvent
    redactions: int
    idem_id: str | None = None
    idem_new: bool = False
    voter_id: str | None = None
    voter_new: bool = False
    outcome: Outcome | None = None


class VoteIntake:
    def __init__(self, claims: ClaimStore, publisher: EventPublisher, *, voter_secret: bytes,
                 clock: Callable[[], datetime], idempotency_ttl: timedelta, stale_claim: timedelta,
                 publish_retry_after_s: int = 5):
        self.claims = claims
        self.publisher = publisher
        self.voter_secret = voter_secret
        self.clock = clock
        self.idempotency_ttl = idempotency_ttl
        self.stale_claim = stale_claim
        self.publish_retry_after_s = publish_retry_after_s

    def submit(self, channel: str, submissions: list[Submission]) -> list[Outcome]:
        now = self.clock()
        items = []
        for i, sub in enumerate(submissions):
            event, redactions = domain.draft_vote(sub.request, channel=channel, received_at=now,
                                                  voter_secret=self.voter_secret, vote_id=domain.new_vote_id())
            items.append(_Item(i, sub, event, redactions))
        try:
            self._claim_idempotency(channel, items, now)
            self._claim_voter_days(items, now)
        except PyMongoError as exc:
            metrics.STORE_FAILURES.labels("claim").inc()
            log.warning("store unavailable while claiming", extra={"error": repr(exc)})
            self._release_quietly(items)
            raise ApiError(503, "store_unavailable",
                           "the vote store is unavailable; retry later with the same Idempotency-Key",
                           headers={"Retry-After": str(self.publish_retry_after_s)}) from exc
        self._publish([it for it in items if it.outcome is None], now)
        for it in items:
            self._count(channel, it)
        return [it.outcome for it in items]  # type: ignore[misc]

    # ------------------------------------------------------------------ steps

    def _claim_idempotency(self, channel: str, items: list[_Item], now: datetime) -> None:
        keyed = [it for it in items if it.submission.idempotency_key]
        seen: set[str] = set()
        fresh: list[_Item] = []
        for it in keyed:
            it.idem_id = domain.idempotency_claim_id(self.voter_secret, channel, it.submission.idempotency_key)
            if it.idem_id in seen:
                it.outcome = Outcome(422, error="duplicate_idempotency_key",
                                     message="this idempotency_key appears more than once in the batch",
                                     fields={"idempotency_key": ["repeated within the batch"]})
            else:
                seen.add(it.idem_id)
                fresh.append(it)
        new_claims = [NewClaim(it.idem_id, it.event.vote_id, now + self.idempotency_ttl, it.submission.fingerprint)
                      for it in fresh]
        for it, held in zip(fresh, self.claims.claim(new_claims, now), strict=True):
            if held is None:
                it.idem_new = True
            else:
                self._resolve_held_idempotency(it, held, now)

    def _resolve_held_idempotency(self, it: _Item, held: Claim, now: datetime) -> None:
        if held.fingerprint is not None and held.fingerprint != it.submission.fingerprint:
            it.outcome = Outcome(422, error="idempotency_key_reused",
                                 message="this Idempotency-Key was used in the last 24 hours for a different "
                                         "vote; use a new key for a new vote",
                                 fields={"Idempotency-Key": ["already used for a different body"]})
        elif held.state == PUBLISHED:
            it.outcome = Outcome(202, vote_id=held.vote_id, replayed=True)
        elif held.is_stale(now, self.stale_claim) and self.claims.take_over(held, held.vote_id, now):
            # The earlier attempt failed or died: publish again under the same vote_id, so that if
            # Kafka did get the first copy after all, scoring counts it once.
            it.event = _with_vote_id(it.event, held.vote_id)
        else:
            it.outcome = Outcome(409, error="request_in_progress",
                                 message="a request with this Idempotency-Key is still being processed; "
                                         "retry in a few seconds", retry_after=2)

    def _claim_voter_days(self, items: list[_Item], now: datetime) -> None:
        pending = [it for it in items if it.outcome is None and it.event.voter_key]
        for it in pending:
            it.voter_id = domain.voter_day_claim_id(self.voter_secret, it.event)
        # The same voter twice in one batch: the first counts, the rest are refused.
        first: dict[str, _Item] = {}
        unique = []
        for it in pending:
            if it.voter_id in first:
                it.outcome = _already_voted(it.event)
            else:
                first[it.voter_id] = it
                unique.append(it)
        new_claims = [NewClaim(it.voter_id, it.event.vote_id, domain.voter_day_expiry(it.event)) for it in unique]
        for it, held in zip(unique, self.claims.claim(new_claims, now), strict=True):
            if held is None:
                it.voter_new = True
            elif held.vote_id == it.event.vote_id:
                pass  # our own earlier attempt of this very vote (an idempotent retry)
            elif held.is_stale(now, self.stale_claim) and self.claims.take_over(held, it.event.vote_id, now):
                pass  # the vote holding the day never reached Kafka
            else:
                it.outcome = _already_voted(it.event)
        self._abandon_idempotency([it for it in items if it.outcome is not None and it.outcome.status != 202], now)

    def _publish(self, items: list[_Item], now: datetime) -> None:
        if not items:
            return
        errors = self.publisher.publish([it.event for it in items])
        published, failed = [], []
        for it, error in zip(items, errors, strict=True):
            claim_ids = [c for c in (it.idem_id, it.voter_id) if c]
            if error is None:
                it.outcome = Outcome(202, vote_id=it.event.vote_id)
                published += claim_ids
            else:
                it.outcome = Outcome(503, error="kafka_unavailable",
                                     message="the vote could not be stored right now and was NOT accepted; "
                                             "retry later (with the same Idempotency-Key)",
                                     retry_after=self.publish_retry_after_s)
                failed += claim_ids
        try:
            self.claims.mark(published, PUBLISHED, self.clock())
            self.claims.mark(failed, FAILED, self.clock())
        except PyMongoError as exc:
            # Kafka holds the votes; a claim left pending only lets a late retry publish the same
            # vote_id again, which scoring absorbs. So the 202 stands.
            metrics.STORE_FAILURES.labels("mark").inc()
            log.warning("could not record claim states", extra={"error": repr(exc)})

    def _abandon_idempotency(self, items: list[_Item], now: datetime) -> None:
        """Nothing was published for these: free new keys, so a retry is judged afresh."""
        self.claims.release([it.idem_id for it in items if it.idem_id and it.idem_new])
        self.claims.mark([it.idem_id for it in items if it.idem_id and not it.idem_new
                          and it.outcome and it.outcome.error in ("already_voted_today",)], FAILED, now)

    def _release_quietly(self, items: list[_Item]) -> None:
        # A leftover pending claim goes stale and is taken over by the retry, so failure here is fine.
        with contextlib.suppress(PyMongoError):
            self.claims.release([c for it in items for c, new in ((it.idem_id, it.idem_new),
                                                                  (it.voter_id, it.voter_new)) if c and new])

    def _count(self, channel: str, it: _Item) -> None:
        outcome = it.outcome
        if outcome is None:
            return
        if outcome.status == 202 and outcome.replayed:
            metrics.VOTES_REPLAYED.labels(channel).inc()
        elif outcome.status == 202:
            metrics.VOTES_ACCEPTED.labels(channel).inc()
            if it.redactions:
                metrics.REDACTIONS.inc(it.redactions)
        else:
            metrics.VOTES_REJECTED.labels(channel, outcome.error or str(outcome.status)).inc()


def _already_voted(event: VoteEvent) -> Outcome:
    return Outcome(409, error="already_voted_today",
                   message=f"this voter has already voted for district {event.district_code} today "
                           "(Bangkok time); one vote per district per day counts",
                   fields={"voter_id": ["already voted for this district today"]})


def _with_vote_id(event: VoteEvent, vote_id: str) -> VoteEvent:
    from dataclasses import replace

    return replace(event, vote_id=vote_id)

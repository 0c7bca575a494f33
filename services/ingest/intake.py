"""The intake: the one way in for every channel's votes (API, QR page, LINE webhook).

In business terms: a vote is judged alone; a retried request gets its first answer again; a
voter counts once per district per Bangkok day; a vote is only reported accepted once Kafka holds
it. Whether a vote is flagged (past a cap) is scoring's decision, from what the event carries. The
intake reports an Outcome per vote; what that means in HTTP, HTML or a LINE reply is decided by each
channel's edge.

The order is what makes a retry safe: every vote is validated, drafted and serialised before any
claim is taken, and nothing after the publish can fail the request.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from marshmallow import ValidationError
from pymongo.errors import PyMongoError

from services.ingest import domain, metrics
from services.ingest.config import IngestConfig
from services.ingest.publisher import EventPublisher
from shared.api_schemas import BatchItemSchema, VoteRequestSchema
from shared.claims import FAILED, PENDING, PUBLISHED, Claim, ClaimStore, NewClaim, RateLimiter
from shared.districts import Registry
from shared.errors import flatten_messages
from shared.events import VoteEvent
from shared.web import has_lone_surrogate

log = logging.getLogger(__name__)


class Result(StrEnum):
    """What became of one vote. The values are the error codes channels show."""

    ACCEPTED = "accepted"
    REPLAYED = "replayed"  # an idempotent retry: the first answer again
    INVALID = "validation_failed"
    WRONG_CHANNEL = "wrong_channel"
    DUPLICATE_KEY = "duplicate_idempotency_key"
    KEY_REUSED = "idempotency_key_reused"
    ALREADY_VOTED = "already_voted_today"
    IN_PROGRESS = "request_in_progress"
    RATE_LIMITED = "rate_limited"
    KAFKA_UNAVAILABLE = "kafka_unavailable"
    STORE_UNAVAILABLE = "store_unavailable"


@dataclass(frozen=True)
class Source:
    """Who is sending: the channel, the client's address as the edge saw it, which API key."""

    channel: str
    address: str | None = None
    key_id: str | None = None


@dataclass
class Submission:
    """One vote as the channel sent it (any JSON value), and what identifies a retry of it."""

    body: object
    idempotency_key: str | None = None


@dataclass
class Outcome:
    result: Result
    vote_id: str | None = None
    message: str | None = None
    fields: dict[str, list[str]] = field(default_factory=dict)
    retry_after: int | None = None

    @property
    def accepted(self) -> bool:
        return self.result in (Result.ACCEPTED, Result.REPLAYED)

    @property
    def error(self) -> str | None:
        return None if self.accepted else self.result.value


@dataclass
class _Item:
    event: VoteEvent
    redactions: int
    idempotency_key: str | None
    fingerprint: str | None
    outcome: Outcome | None = None
    idem: Claim | None = None  # the idempotency claim as we hold it
    idem_new: bool = False
    voter: Claim | None = None
    voter_new: bool = False


def _invalid(message: str, fields: dict[str, list[str]]) -> Outcome:
    return Outcome(Result.INVALID, message=message, fields=fields)


class VoteIntake:
    def __init__(self, claims: ClaimStore, publisher: EventPublisher, *, voter_secret: bytes,
                 clock: Callable[[], datetime], registry: Registry, config: IngestConfig,
                 limiter: RateLimiter | None = None):
        self.claims = claims
        self.publisher = publisher
        self.voter_secret = voter_secret
        self.clock = clock
        self.config = config
        self.limiter = limiter
        self.idempotency_ttl = timedelta(hours=config.idempotency_ttl_hours)
        self.stale_claim = timedelta(seconds=config.stale_claim_s)
        self.retry_after_s = max(1, int(config.publish_timeout_s))
        # Schemas are built once: building one per request cost more than validating the vote.
        self.schema = VoteRequestSchema(registry=registry, clock=clock)
        self.batch_schema = BatchItemSchema(registry=registry, clock=clock)

    def submit(self, source: Source, submissions: list[Submission], *, batch: bool = False) -> list[Outcome]:
        """Judge, claim and publish; one Outcome per submission, in order. Never raises for input."""
        now = self.clock()
        prepared = [self._prepare(source, sub, now, batch) for sub in submissions]
        items = [p for p in prepared if isinstance(p, _Item)]
        limited = self._rate_limit(source, len(items), now)
        if limited is not None:
            for it in items:
                it.outcome = limited
        else:
            self._claim_and_publish(source, items, now)
        outcomes = [p.outcome if isinstance(p, _Item) else p for p in prepared]
        for p, outcome in zip(prepared, outcomes, strict=True):
            self._count(source.channel, outcome, p.redactions if isinstance(p, _Item) else 0)
        return outcomes  # type: ignore[return-value]

    # ------------------------------------------------------------------ judged alone, before any claim

    def _prepare(self, source: Source, sub: Submission, now: datetime, batch: bool) -> _Item | Outcome:
        body = sub.body
        if not isinstance(body, dict):
            what = "each vote" if batch else "the body"
            return _invalid(f"{what} must be a JSON object", {"_body": ["must be a JSON object"]})
        if has_lone_surrogate(body):  # not text: it could neither be shown in an error nor published
            return _invalid("the vote holds a lone UTF-16 surrogate (e.g. \\ud800), which is not text",
                            {"_body": ["contains a lone UTF-16 surrogate; send valid Unicode"]})
        try:
            data = (self.batch_schema if batch else self.schema).load(body)
        except ValidationError as exc:
            return _invalid("the vote has invalid fields; see 'fields'", flatten_messages(exc.messages))
        claimed = data.get("channel", source.channel)
        if claimed != source.channel:
            return Outcome(Result.WRONG_CHANNEL,
                           message=f"this API key belongs to channel '{source.channel}' and cannot post votes "
                                   f"for '{claimed}'",
                           fields={"channel": [f"must be '{source.channel}' for this key"]})
        problems = domain.channel_problems(data, source.channel, now)
        if problems:
            return _invalid("the vote is not acceptable on this channel; see 'fields'", problems)
        key = data.pop("idempotency_key", None) if batch else sub.idempotency_key
        event, redactions = domain.draft_vote(data, channel=source.channel, received_at=now,
                                              voter_secret=self.voter_secret, vote_id=domain.new_vote_id(),
                                              key_id=source.key_id, address=source.address)
        try:
            event.to_bytes()  # whatever cannot be serialised is refused here, before it can claim anything
        except (UnicodeError, ValueError, TypeError, OverflowError) as exc:
            log.info("vote not serialisable", extra={"error": type(exc).__name__})
            return _invalid("the vote cannot be stored as sent (not valid Unicode text?)",
                            {"_body": ["cannot be serialised as UTF-8 JSON"]})
        return _Item(event, redactions, key, domain.fingerprint(body) if key else None)

    def _rate_limit(self, source: Source, amount: int, now: datetime) -> Outcome | None:
        if not amount or self.limiter is None or source.channel not in self.config.ip_throttled_channels:
            return None
        subject = domain.address_key(self.voter_secret, source.address)  # an IP is personal data
        retry_after = self.limiter.hit(subject, amount, now)  # in this process: no store round trip
        if retry_after is None:
            return None
        return Outcome(Result.RATE_LIMITED, retry_after=max(1, int(retry_after)),
                       message=f"too many votes from this address; the limit is {self.config.ip_limit_per_minute} "
                               "per minute")

    def _claim_and_publish(self, source: Source, items: list[_Item], now: datetime) -> None:
        try:
            self._claim(source.channel, items, now)
        except PyMongoError as exc:
            metrics.STORE_FAILURES.labels("claim").inc()
            log.warning("store unavailable while claiming", extra={"error": repr(exc)})
            self._release_quietly(items)
            for it in items:
                if it.outcome is None or it.outcome.accepted:
                    it.outcome = Outcome(Result.STORE_UNAVAILABLE, retry_after=self.retry_after_s,
                                         message="the vote store is unavailable and the vote was NOT accepted; "
                                                 "retry later with the same Idempotency-Key")
            return
        except Exception:
            self._release_quietly(items)  # nothing was published: a fault of ours must not lock voters out
            raise
        self._publish([it for it in items if it.outcome is None])

    # ------------------------------------------------------------------ claims

    def _claim(self, channel: str, items: list[_Item], now: datetime) -> None:
        """The idempotency and voter-day claims of a request in one insert (docs/ingest.md, "Two round trips").

        Each voter-day claim is offered with the vote_id the vote has before its key is judged; the
        rare cases that change that (a key taken over, a vote refused for its key) are put right
        afterwards, at the cost of one more keyed write each.
        """
        idem = self._idempotency_claim_ids(channel, items)
        firsts, repeats = self._voter_day_claim_ids([it for it in items if it.outcome is None])
        offered = [NewClaim(cid, it.event.vote_id, now + self.idempotency_ttl, it.fingerprint) for it, cid in idem]
        offered += [NewClaim(cid, it.event.vote_id, domain.voter_day_expiry(it.event)) for it, cid in firsts]
        clashed = self.claims.take(offered, now)
        for i, (it, claim_id) in enumerate(idem):
            if i not in clashed:
                it.idem, it.idem_new = Claim(claim_id, it.event.vote_id, PENDING, 1, now, it.fingerprint), True
            else:
                self._resolve_held_idempotency(it, self.claims.held(claim_id, now), now)
        unneeded: list[str] = []
        for i, ((it, claim_id), offer) in enumerate(zip(firsts, offered[len(idem):], strict=True), len(idem)):
            if it.outcome is not None:  # refused for its key: a day it took is not its to keep
                if i not in clashed:
                    unneeded.append(claim_id)
            elif i not in clashed:
                self._keep_new_voter_day(it, Claim(claim_id, offer.vote_id, PENDING, 1, now), now)
            else:
                self._resolve_held_voter_day(it, self.claims.held(claim_id, now), now)
        self.claims.release(unneeded)
        self._settle_repeats(repeats, now)
        self._abandon_idempotency([it for it in items if it.outcome is not None and not it.outcome.accepted], now)

    def _idempotency_claim_ids(self, channel: str, items: list[_Item]) -> list[tuple[_Item, str]]:
        seen: set[str] = set()
        fresh: list[tuple[_Item, str]] = []
        for it in items:
            if not it.idempotency_key:
                continue
            claim_id = domain.idempotency_claim_id(self.voter_secret, channel, it.idempotency_key)
            if claim_id in seen:
                it.outcome = Outcome(Result.DUPLICATE_KEY,
                                     message="this idempotency_key appears more than once in the batch",
                                     fields={"idempotency_key": ["repeated within the batch"]})
            else:
                seen.add(claim_id)
                fresh.append((it, claim_id))
        return fresh

    def _voter_day_claim_ids(self, items: list[_Item]) -> tuple[list[tuple[_Item, str]], list[tuple[_Item, _Item]]]:
        """(the first vote of each voter-day with its claim id, [(a later vote of that day, the first)])."""
        first: dict[str, _Item] = {}
        firsts: list[tuple[_Item, str]] = []
        repeats: list[tuple[_Item, _Item]] = []
        for it in items:
            if not it.event.voter_key:
                continue
            claim_id = domain.voter_day_claim_id(self.voter_secret, it.event)
            if claim_id in first:  # the same voter twice in one batch: the first counts
                repeats.append((it, first[claim_id]))
            else:
                first[claim_id] = it
                firsts.append((it, claim_id))
        return firsts, repeats

    def _settle_repeats(self, repeats: list[tuple[_Item, _Item]], now: datetime) -> None:
        """A later vote of a voter's day in the batch is refused, unless the first was refused for its key:
        then it claims the day itself, as it would have alone (a further round trip, in that case only)."""
        again = []
        for it, first in repeats:
            if first.voter is not None or first.outcome is None or first.outcome.result == Result.ALREADY_VOTED:
                it.outcome = _already_voted(it.event)
            elif it.outcome is None:
                again.append(it)
        if again:
            self._claim_voter_days(again, now)

    def _keep_new_voter_day(self, it: _Item, claim: Claim, now: datetime) -> None:
        if claim.vote_id == it.event.vote_id:
            it.voter, it.voter_new = claim, True
        elif self.claims.take_over(claim, it.event.vote_id, now):
            # Its key was taken over, so the vote goes out under the key's first vote_id; the day follows it.
            it.voter, it.voter_new = replace(claim, vote_id=it.event.vote_id, version=claim.version + 1), True
        else:
            it.outcome = _already_voted(it.event)

    def _resolve_held_idempotency(self, it: _Item, held: Claim, now: datetime) -> None:
        if held.fingerprint is not None and held.fingerprint != it.fingerprint:
            it.outcome = Outcome(Result.KEY_REUSED,
                                 message="this Idempotency-Key was used in the last 24 hours for a different "
                                         "vote; use a new key for a new vote",
                                 fields={"Idempotency-Key": ["already used for a different body"]})
        elif held.state == PUBLISHED:
            it.outcome = Outcome(Result.REPLAYED, vote_id=held.vote_id)
        elif held.is_stale(now, self.stale_claim) and self.claims.take_over(held, held.vote_id, now):
            # The earlier attempt failed or died: publish again under the same vote_id, so that if
            # Kafka did get the first copy after all, scoring counts it once.
            it.idem = replace(held, state=PENDING, version=held.version + 1, updated_at=now)
            it.event = replace(it.event, vote_id=held.vote_id)
        else:
            it.outcome = Outcome(Result.IN_PROGRESS, retry_after=2,
                                 message="a request with this Idempotency-Key is still being processed; "
                                         "retry in a few seconds")

    def _claim_voter_days(self, items: list[_Item], now: datetime) -> None:
        """The voter-day claims alone: only for the rare votes _claim could not settle in its one insert."""
        firsts, repeats = self._voter_day_claim_ids(items)
        for it, _first in repeats:
            it.outcome = _already_voted(it.event)
        new_claims = [NewClaim(cid, it.event.vote_id, domain.voter_day_expiry(it.event)) for it, cid in firsts]
        for (it, claim_id), held in zip(firsts, self.claims.claim(new_claims, now), strict=True):
            if held is None:
                it.voter, it.voter_new = Claim(claim_id, it.event.vote_id, PENDING, 1, now), True
            else:
                self._resolve_held_voter_day(it, held, now)

    def _resolve_held_voter_day(self, it: _Item, held: Claim, now: datetime) -> None:
        if held.vote_id == it.event.vote_id:
            it.voter = held  # our own earlier attempt of this very vote (an idempotent retry)
        elif held.is_stale(now, self.stale_claim) and self.claims.take_over(held, held.vote_id, now):
            # The vote holding the day may or may not have reached Kafka: publishing this one under
            # the same vote_id makes scoring count the voter's day once either way.
            it.voter = replace(held, state=PENDING, version=held.version + 1, updated_at=now)
            self._adopt_vote_id(it, held.vote_id, now)
        else:
            it.outcome = _already_voted(it.event)

    def _adopt_vote_id(self, it: _Item, vote_id: str, now: datetime) -> None:
        if it.idem is not None and it.idem.vote_id != vote_id:
            if not self.claims.take_over(it.idem, vote_id, now):
                it.outcome = Outcome(Result.IN_PROGRESS, retry_after=2,
                                     message="a request with this Idempotency-Key is still being processed; "
                                             "retry in a few seconds")
                return
            it.idem = replace(it.idem, vote_id=vote_id, version=it.idem.version + 1, updated_at=now)
        it.event = replace(it.event, vote_id=vote_id)

    def _abandon_idempotency(self, items: list[_Item], now: datetime) -> None:
        """Nothing was published for these: free new keys, so a retry is judged afresh."""
        self.claims.release([it.idem.id for it in items if it.idem and it.idem_new])
        self.claims.mark([it.idem.id for it in items if it.idem and not it.idem_new], FAILED, now)

    def _release_quietly(self, items: list[_Item]) -> None:
        # A leftover pending claim goes stale and is taken over by the retry, so failure here is fine.
        with contextlib.suppress(Exception):
            self.claims.release([c.id for it in items for c, new in ((it.idem, it.idem_new),
                                                                     (it.voter, it.voter_new)) if c and new])

    # ------------------------------------------------------------------ publish

    def _publish(self, items: list[_Item]) -> None:
        if not items:
            return
        try:
            errors = self.publisher.publish([it.event for it in items])
        except Exception as exc:  # nothing may escape once a vote may have left
            log.exception("publisher failed")
            errors = [exc] * len(items)
        published, failed = [], []
        for it, error in zip(items, errors, strict=True):
            claim_ids = [c.id for c in (it.idem, it.voter) if c]
            if error is None:
                it.outcome = Outcome(Result.ACCEPTED, vote_id=it.event.vote_id)
                published += claim_ids
            else:
                it.outcome = Outcome(Result.KAFKA_UNAVAILABLE, retry_after=self.retry_after_s,
                                     message="the vote could not be stored right now and was NOT accepted; "
                                             "retry later (with the same Idempotency-Key)")
                failed += claim_ids
        try:
            now = self.clock()
            self.claims.mark(published, PUBLISHED, now)
            self.claims.mark(failed, FAILED, now)
        except Exception as exc:
            # Kafka holds the votes; a claim left pending only lets a late retry publish the same
            # vote_id again, which scoring absorbs. So the 202 stands.
            metrics.STORE_FAILURES.labels("mark").inc()
            log.warning("could not record claim states", extra={"error": repr(exc)})

    def _count(self, channel: str, outcome: Outcome, redactions: int) -> None:
        if outcome.result == Result.REPLAYED:
            metrics.VOTES_REPLAYED.labels(channel).inc()
        elif outcome.result == Result.ACCEPTED:
            metrics.VOTES_ACCEPTED.labels(channel).inc()
            if redactions:
                metrics.REDACTIONS.inc(redactions)
        else:
            reason = "validation" if outcome.result == Result.INVALID else outcome.result.value
            metrics.VOTES_REJECTED.labels(channel, reason).inc()


def _already_voted(event: VoteEvent) -> Outcome:
    return Outcome(Result.ALREADY_VOTED,
                   message=f"this voter has already voted for district {event.district_code} today "
                           "(Bangkok time); one vote per district per day counts",
                   fields={"voter_id": ["already voted for this district today"]})

"""Concurrent requests' claims taken in one insert (a group commit on the requests' own threads).

Why: under load a QR or LINE vote's CPU went most to its claims' insert (pymongo's client side, then
FerretDB's and PostgreSQL's per-command work), one insert per request although several requests of
a worker claim at the same moment. Here the first request to arrive inserts its claims at once (the
leader); requests arriving meanwhile queue theirs, and when the leader is done one of them inserts
all the queued claims together, so a round trip carries every request that waited for it. A lone
request is never delayed; no background thread is involved (the caller's thread writes).

Why it is the same as one insert per request: the insert is unordered, every claim is judged alone
by its unique `_id`, so a group behaves as its requests' inserts in some order. Two requests
offering the same claim in one group (two retries of one key) are one winner and one clash, as two
concurrent inserts are. A store error fails every request of its group (each answers 503 and its
retry is judged afresh), as it would have failed each alone. The claims' times: a group is written
with the latest of its requests' times (milliseconds apart); a claim's expiry is its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from shared.claims import Claim, ClaimStore, NewClaim


@dataclass
class _Offer:
    claims: list[NewClaim]
    now: datetime
    clashed: set[int] | None = None
    error: BaseException | None = None
    done: bool = False


@dataclass
class GroupTakes:
    """A ClaimStore whose `take`s are grouped across threads; everything else goes straight to `store`."""

    store: ClaimStore
    max_claims: int = 2000  # per insert; a request's claims are never split
    _cond: threading.Condition = field(default_factory=threading.Condition, init=False)
    _queue: list[_Offer] = field(default_factory=list, init=False)
    _leading: bool = field(default=False, init=False)

    def take(self, claims: list[NewClaim], now: datetime) -> set[int]:
        if not claims:
            return set()
        offer = _Offer(claims, now)
        with self._cond:
            self._queue.append(offer)
            while not offer.done and self._leading:
                self._cond.wait()
            if not offer.done:
                self._leading = True
        if not offer.done:
            self._lead(offer)
        if offer.error is not None:
            raise offer.error
        return offer.clashed or set()

    def _lead(self, mine: _Offer) -> None:
        """Write queued groups until our own offer is written, then hand the lead to a waiting request."""
        try:
            while not mine.done:
                with self._cond:
                    group = self._next_group()
                self._write(group)
                with self._cond:
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._leading = False
                self._cond.notify_all()

    def _next_group(self) -> list[_Offer]:
        group, size = [], 0
        while self._queue and (not group or size + len(self._queue[0].claims) <= self.max_claims):
            offer = self._queue.pop(0)
            group.append(offer)
            size += len(offer.claims)
        return group

    def _write(self, group: list[_Offer]) -> None:
        claims = [c for offer in group for c in offer.claims]
        try:
            clashed = self.store.take(claims, max(offer.now for offer in group))
        except BaseException as exc:  # each request of the group answers for itself (503, or its own fault)
            for offer in group:
                offer.error, offer.done = exc, True
            return
        start = 0
        for offer in group:
            end = start + len(offer.claims)
            offer.clashed = {i - start for i in clashed if start <= i < end}
            offer.done = True
            start = end

    # -------------------------------------------------------------- the store, as it is

    def claim(self, claims: list[NewClaim], now: datetime) -> list[Claim | None]:
        clashed = self.take(claims, now)
        return [self.held(c.id, now) if i in clashed else None for i, c in enumerate(claims)]

    def held(self, claim_id: str, now: datetime) -> Claim:
        return self.store.held(claim_id, now)

    def take_over(self, held: Claim, vote_id: str, now: datetime) -> bool:
        return self.store.take_over(held, vote_id, now)

    def mark(self, ids: list[str], state: str, now: datetime) -> None:
        self.store.mark(ids, state, now)

    def release(self, ids: Iterable[str]) -> None:
        self.store.release(list(ids))

    def expire(self, now: datetime) -> int:
        return self.store.expire(now)

"""Claims marked `published` in groups, off the request's thread (a group commit).

Why: after Kafka's acknowledgement the only store write left is the claims' `published` mark, one
round trip per request on the request's own thread. Queued here instead, one background thread per
process writes every mark waiting in one insert: when idle a mark is written at once (one request's),
under load a round trip carries the marks of all requests that finished meanwhile, and no request
waits for it.

What it changes, and why that is safe (docs/ingest.md, "Two round trips"):
- for a moment after a 202 its claims still read `pending`. A request that finds a young pending
  claim (a retry racing the first attempt's mark) reads it again a few times, briefly, before
  answering "in progress", so a retry sent after its 202 is answered with the same vote_id as before;
- a process that dies with marks queued leaves those claims pending: they go stale and a retry
  republishes under the same vote_id, which scoring counts once (as a crash between publish and mark
  always could). `failed` marks are written at once, so a retry after a 503 may take over at once.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from services.ingest import metrics
from shared.claims import PENDING, PUBLISHED, Claim, ClaimStore, NewClaim

log = logging.getLogger(__name__)


class GroupMarks:
    """A ClaimStore whose `published` marks go out in groups; everything else goes straight to `store`."""

    MAX_GROUP = 1000  # marks per insert
    MAX_QUEUED = 50_000  # past this (the store away for long) marks are dropped: the claims go stale, nothing is lost
    RECHECKS_S = (0.02, 0.05, 0.1)  # a young pending claim read again after these pauses
    YOUNG = timedelta(seconds=2)  # a pending claim younger than this may be waiting for its mark

    def __init__(self, store: ClaimStore, clock: Callable[[], datetime]):
        self.store = store
        self.clock = clock
        self._queue: list[str] = []
        self._writing = 0
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------- the store, as it is

    def claim(self, claims: list[NewClaim], now: datetime) -> list[Claim | None]:
        clashed = self.take(claims, now)
        return [self.held(c.id, now) if i in clashed else None for i, c in enumerate(claims)]

    def take(self, claims: list[NewClaim], now: datetime) -> set[int]:
        return self.store.take(claims, now)

    def held(self, claim_id: str, now: datetime) -> Claim:
        claim = self.store.held(claim_id, now)
        for pause in self.RECHECKS_S:
            if not (claim.state == PENDING and claim.version > 0 and now - claim.updated_at < self.YOUNG):
                break
            time.sleep(pause)
            claim = self.store.held(claim_id, now)
        return claim

    def take_over(self, held: Claim, vote_id: str, now: datetime) -> bool:
        return self.store.take_over(held, vote_id, now)

    def release(self, ids: list[str]) -> None:
        self.store.release(ids)

    def expire(self, now: datetime) -> int:
        return self.store.expire(now)

    # -------------------------------------------------------------- marks

    def mark(self, ids: list[str], state: str, now: datetime) -> None:
        if state != PUBLISHED:
            self.store.mark(ids, state, now)
            return
        if not ids:
            return
        with self._cond:
            if len(self._queue) + len(ids) > self.MAX_QUEUED:
                metrics.STORE_FAILURES.labels("mark").inc()
                return
            self._queue.extend(ids)
            self._start()
            self._cond.notify()

    def flush(self, timeout_s: float) -> bool:
        """Wait until every queued mark is written (at exit, and for tests); False if time ran out."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._queue or self._writing:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def _start(self) -> None:
        # Started on the first mark, so in each gunicorn worker after the fork, never in the master.
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="claim-marks", daemon=True)
            self._thread.start()
            atexit.register(self.flush, 3.0)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                group, self._queue = self._queue[:self.MAX_GROUP], self._queue[self.MAX_GROUP:]
                self._writing = len(group)
            try:
                self.store.mark(group, PUBLISHED, self.clock())
            except Exception as exc:  # the claims stay pending, go stale, and a retry republishes the vote_id
                metrics.STORE_FAILURES.labels("mark").inc()
                log.warning("could not record claims as published", extra={"error": repr(exc), "claims": len(group)})
            finally:
                with self._cond:
                    self._writing = 0
                    self._cond.notify_all()

"""Sends what the outbox holds: one loop per transport, so one transport down never blocks another.

Each attempt takes a short lease on the message (a conditional write), sends, then records the
outcome. Failures are retried with exponential backoff and full jitter, or after the peer's
Retry-After on 429; after `max_attempts` (or a refusal no retry can fix) the message is dead and
stays in the outbox for the centre to see.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ReturnDocument

from services.notify import metrics
from services.notify.outbox import DEAD, DELIVERED, PENDING
from services.notify.store import NotifyStore
from services.notify.transports import GiveUp, Outgoing, Retry, Transport
from shared.stream.heartbeat import Heartbeat

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_s: float = 2.0
    cap_s: float = 3600.0
    retry_after_cap_s: float = 6 * 3600.0
    lease_s: float = 120.0

    def delay(self, attempts: int, retry_after: float | None, rng: random.Random) -> float:
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap_s)
        ceiling = min(self.cap_s, self.base_s * 2 ** (attempts - 1))
        return rng.uniform(ceiling / 2, ceiling)  # "equal jitter": never 0, never in lockstep


def outgoing_from(doc: dict) -> Outgoing:
    c = doc["content"]
    return Outgoing(doc["_id"], c["subject"], c["text"], c["html"], list(c["buttons"]), c["payload"])


class Dispatcher:
    def __init__(self, store: NotifyStore, transports: dict[str, Transport], clock: Callable[[], datetime],
                 policy: RetryPolicy = RetryPolicy(), rng: random.Random | None = None, batch: int = 50,
                 heartbeat: Heartbeat | None = None):
        """`heartbeat`: beaten while the transport loops run, so the web process can tell Prometheus that
        the dispatcher lives (stream_consumer_heartbeat_age_seconds{process="dispatcher"})."""
        self.heartbeat = heartbeat
        self.store = store
        self.transports = transports
        self.clock = clock
        self.policy = policy
        self.rng = rng or random.Random()
        self.batch = batch

    def due(self, transport: str, now: datetime) -> list[dict]:
        query = {"state": PENDING, "transport": transport, "next_at": {"$lte": now}}
        return list(self.store.outbox.find(query).sort("next_at", 1).limit(self.batch))

    def _lease(self, doc: dict, now: datetime) -> dict | None:
        """Only one dispatcher attempts a message at a time; an expired lease (a crash) may be taken."""
        lease = doc.get("lease_until")
        if lease is not None and lease > now:
            return None
        return self.store.outbox.find_one_and_update(
            {"_id": doc["_id"], "state": PENDING, "lease_until": lease},
            {"$set": {"lease_until": now + timedelta(seconds=self.policy.lease_s)}},
            return_document=ReturnDocument.AFTER)

    def run_once(self, transport_name: str) -> int:
        """Attempt every due message of one transport once; returns how many were attempted."""
        transport = self.transports[transport_name]
        attempted = 0
        for doc in self.due(transport_name, self.clock()):
            leased = self._lease(doc, self.clock())
            if leased is None:
                continue
            attempted += 1
            self.attempt(transport, leased)
        return attempted

    def attempt(self, transport: Transport, doc: dict) -> None:
        contact = self.store.contact(doc["contact"])
        attempts = doc.get("attempts", 0) + 1
        try:
            if contact is None:
                raise GiveUp("the receiver is no longer in the directory")
            try:
                transport.send(outgoing_from(doc), contact)
            except (Retry, GiveUp):
                raise
            except Exception as exc:  # a bug or an SDK refusal: counted as an attempt, so it ends dead, not looping
                log.exception("transport raised", extra={"message_id": doc["_id"], "transport": transport.name})
                raise Retry(f"unexpected {type(exc).__name__}") from exc
        except Retry as exc:
            metrics.ATTEMPTS_FAILED.labels(transport.name, "retry").inc()
            if attempts >= self.policy.max_attempts:
                self._dead(doc, attempts, f"{exc} (after {attempts} attempts)", transport.name)
                return
            delay = self.policy.delay(attempts, exc.after_s, self.rng)
            log.info("delivery retried", extra={"message_id": doc["_id"], "transport": transport.name,
                                                "attempts": attempts, "delay_s": round(delay, 2), "reason": str(exc)})
            self.store.outbox.update_one({"_id": doc["_id"]}, {"$set": {
                "attempts": attempts, "last_error": str(exc), "lease_until": None,
                "next_at": self.clock() + timedelta(seconds=delay)}})
            return
        except GiveUp as exc:
            metrics.ATTEMPTS_FAILED.labels(transport.name, "refused").inc()
            self._dead(doc, attempts, str(exc), transport.name)
            return
        now = self.clock()
        self.store.outbox.update_one({"_id": doc["_id"]}, {"$set": {
            "state": DELIVERED, "attempts": attempts, "delivered_at": now, "lease_until": None}})
        metrics.DELIVERED.labels(transport.name).inc()
        metrics.DELIVERY_SECONDS.labels(transport.name).observe(max((now - doc["created_at"]).total_seconds(), 0))
        log.info("delivered", extra={"message_id": doc["_id"], "transport": transport.name, "attempts": attempts,
                                     "receiver": doc["contact"]})

    def _dead(self, doc: dict, attempts: int, reason: str, transport: str) -> None:
        self.store.outbox.update_one({"_id": doc["_id"]}, {"$set": {
            "state": DEAD, "attempts": attempts, "last_error": reason, "dead_at": self.clock(), "lease_until": None}})
        metrics.DEAD_LETTERS.labels(transport).inc()
        log.warning("dead letter", extra={"message_id": doc["_id"], "transport": transport, "reason": reason,
                                          "receiver": doc["contact"]})

    def run(self, stop: threading.Event, idle_s: float = 1.0) -> None:
        """One thread per transport until `stop` is set (the process entry's shape: run, then close)."""

        def loop(name: str) -> None:
            while not stop.is_set():
                try:
                    busy = self.run_once(name)
                except Exception:  # the store away: try again shortly, the messages wait in the outbox
                    log.exception("dispatcher pass failed", extra={"transport": name})
                    busy = 0
                if not busy:
                    stop.wait(idle_s)

        threads = [threading.Thread(target=loop, args=(n,), name=f"notify-{n}", daemon=True)
                   for n in self.transports]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            if self.heartbeat is not None:
                self.heartbeat.beat(True)
            for t in threads:
                t.join(timeout=0.5)

    def close(self) -> None:
        """Nothing to release: transports open a connection per attempt."""

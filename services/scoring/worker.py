"""The consumer loop: poll, apply, flush, commit; retry the store with backoff; refresh windows at midnight.

Offsets are committed only after the handler's writes are in the store and its events are
acknowledged by Kafka, so a crash anywhere replays the batch, and the handler makes a replay exact.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata
from pymongo.errors import PyMongoError

from services.scoring import metrics
from services.scoring.handler import BatchReport, Scorer
from services.scoring.sink import KafkaSink
from shared.timeutil import bangkok_day

log = logging.getLogger(__name__)

RETRYABLE = (PyMongoError, KafkaError, TimeoutError, RuntimeError)


class Heartbeat:
    """A small status file the web process reads for /readyz (the consumer is another process)."""

    def __init__(self, state_dir: Path):
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / f"consumer-{os.getpid()}.json"
        self._last = 0.0

    def beat(self, ready: bool, *, force: bool = False) -> None:
        now = time.time()
        if not force and now - self._last < 1.0:
            return
        self._last = now
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"ts": now, "ready": ready, "pid": os.getpid()}))
        tmp.replace(self.path)
        metrics.READY.set(1 if ready else 0)


class _Rebalance(ConsumerRebalanceListener):
    def __init__(self, worker: ScoringWorker):
        self.worker = worker

    def on_partitions_revoked(self, revoked) -> None:
        self.worker.scorer.forget()

    def on_partitions_assigned(self, assigned) -> None:
        self.worker.scorer.forget()
        self.worker.refresh_due = True
        log.info("partitions assigned", extra={"partitions": sorted(f"{tp.topic}:{tp.partition}" for tp in assigned)})


class ScoringWorker:
    def __init__(self, consumer: KafkaConsumer, scorer: Scorer, sink: KafkaSink, heartbeat: Heartbeat, *,
                 topics: list[str], votes_topic: str, max_batch: int, poll_timeout_ms: int,
                 backoff_max_s: float, clock: Callable[[], datetime]):
        self.consumer = consumer
        self.scorer = scorer
        self.sink = sink
        self.heartbeat = heartbeat
        self.topics = topics
        self.votes_topic = votes_topic
        self.max_batch = max_batch
        self.poll_timeout_ms = poll_timeout_ms
        self.backoff_max_s = backoff_max_s
        self.clock = clock
        self.refresh_due = True
        self.refreshed_on: date | None = None
        self._lag_at = 0.0

    def run(self, stop: threading.Event) -> None:
        # Learn the topics' partitions first: a group leader that joins before its metadata knows the
        # topics assigns nothing ("No partition metadata") and, seen on a fresh bench run, never rejoins.
        for topic in self.topics:
            self.consumer.partitions_for_topic(topic)
        self.consumer.subscribe(self.topics, listener=_Rebalance(self))
        self.heartbeat.beat(True, force=True)
        while not stop.is_set():
            batch = self.consumer.poll(timeout_ms=self.poll_timeout_ms, max_records=self.max_batch)
            records = [r for rs in batch.values() for r in rs]
            if records:
                self._with_retry(lambda records=records: self._apply(records), stop)
            if self._refresh_needed():
                self._with_retry(self._refresh, stop)
            self._observe_lag()
            self.heartbeat.beat(True)

    # ------------------------------------------------------------------

    def _apply(self, records: list) -> None:
        started = time.perf_counter()
        report: BatchReport = self.scorer.handle(records)
        self.sink.flush()
        self._commit(records)
        now = self.clock()
        metrics.VOTES_APPLIED.inc(report.applied)
        metrics.DUPLICATES_SKIPPED.inc(report.duplicates)
        metrics.REPLAYED.inc(report.replayed)
        metrics.BATCH_SIZE.observe(len(records))
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)
        for vote in report.applied_votes:
            metrics.END_TO_END.observe(max(0.0, (now - vote.submitted_at).total_seconds()))

    def _commit(self, records: list) -> None:
        offsets: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            offsets[tp] = max(offsets.get(tp, -1), r.offset + 1)
        assigned = self.consumer.assignment()
        mine = {tp: OffsetAndMetadata(o, "", -1) for tp, o in offsets.items() if tp in assigned}
        if not mine:
            return
        try:
            self.consumer.commit(mine)
        except CommitFailedError:
            # The group rebalanced under us; the new owner replays from the last commit, exactly.
            log.warning("offset commit refused after a rebalance")

    def _refresh_needed(self) -> bool:
        today = bangkok_day(self.clock())
        if today != self.refreshed_on:
            self.refresh_due = True
        return self.refresh_due and bool(self.consumer.assignment())

    def _refresh(self) -> None:
        today = bangkok_day(self.clock())
        partitions = {tp.partition for tp in self.consumer.assignment() if tp.topic == self.votes_topic}
        changed = self.scorer.refresh(partitions)
        self.sink.flush()
        self.refresh_due = False
        self.refreshed_on = today
        log.info("rolling windows refreshed", extra={"day": today.isoformat(), "changed": changed})

    def _with_retry(self, action: Callable[[], None], stop: threading.Event) -> None:
        """Redo the whole action until it succeeds: every step of it is safe to repeat."""
        delay = 0.25
        paused = False
        while not stop.is_set():
            try:
                action()
                if paused:
                    self.consumer.resume(*self.consumer.assignment())
                self.heartbeat.beat(True, force=paused)
                return
            except RETRYABLE as exc:
                metrics.STORE_FAILURES.inc()
                log.warning("batch failed; retrying", extra={"error": repr(exc)[:300], "retry_in_s": delay})
                self.heartbeat.beat(False, force=True)
                self.scorer.forget()
                if not paused:
                    self.consumer.pause(*self.consumer.assignment())
                    paused = True
                stop.wait(delay)
                self._keep_membership()
                self._observe_lag(force=True)
                delay = min(delay * 2, self.backoff_max_s)

    def _keep_membership(self) -> None:
        """Poll while paused to stay in the group. A rebalance may hand us unpaused partitions whose
        records this poll returns: seek back so none is skipped, and pause them too."""
        returned = self.consumer.poll(timeout_ms=0)
        for tp, records in returned.items():
            if records:
                self.consumer.seek(tp, records[0].offset)
        self.consumer.pause(*self.consumer.assignment())

    def _observe_lag(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._lag_at < 2.0:
            return
        self._lag_at = now
        for tp in self.consumer.assignment():
            high = self.consumer.highwater(tp)
            if high is None:
                continue
            try:
                position = self.consumer.position(tp, timeout_ms=100)
            except KafkaError:
                continue
            if position is not None:
                metrics.LAG.labels(tp.topic, str(tp.partition)).set(max(0, high - position))

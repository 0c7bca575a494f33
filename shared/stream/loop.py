"""The consumer loop: poll, hand the batch to the processor, checkpoint; retry with backoff; tick.

Guarantees (tests/unit/test_stream_loop.py): offsets are committed only after the processor
returned and the sink's output was acknowledged; a failed attempt commits nothing and is redone
from the same records after a backoff, the partitions paused while the consumer stays in its
group; the processor forgets its cache on every rebalance and after every failure.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from shared.stream.checkpoint import Checkpoint
from shared.stream.config import StreamConfig
from shared.stream.heartbeat import Heartbeat
from shared.stream.metrics import StreamMetrics
from shared.stream.ports import Assignment, ConsumerPort, Record, TopicPartition
from shared.stream.processor import Processor
from shared.stream.sink import Sink

log = logging.getLogger(__name__)

LAG_EVERY_S = 2.0


class ConsumerLoop:
    def __init__(self, consumer: ConsumerPort, processor: Processor[Any], sink: Sink, *, topics: list[str],
                 config: StreamConfig, heartbeat: Heartbeat, metrics: StreamMetrics,
                 retry_on: tuple[type[BaseException], ...], clock: Callable[[], datetime],
                 observe: Callable[[Any], None] = lambda report: None):
        """`retry_on`: the errors that mean "try again later" (store or broker away); any other error
        stops the process, to be restarted. `observe` records a service's own metrics from a report
        once its batch is committed (or its tick's output acknowledged)."""
        self.consumer, self.processor, self.sink = consumer, processor, sink
        self.checkpoint = Checkpoint(consumer, sink, flush_timeout_s=config.flush_timeout_s)
        self.topics, self.config, self.heartbeat, self.metrics = topics, config, heartbeat, metrics
        self.retry_on, self.clock, self.observe = retry_on, clock, observe
        self._lag_at = 0.0

    def run(self, stop: threading.Event) -> None:
        self.start()
        while not stop.is_set():
            self.run_once(stop)

    def start(self) -> None:
        self.consumer.subscribe(self.topics, on_assigned=self._assigned, on_revoked=self._revoked)
        self._beat(True, force=True)

    def run_once(self, stop: threading.Event) -> None:
        """One poll: its batch (if any) to the processor and committed, then the tick."""
        records = self.consumer.poll(self.config.poll_timeout_ms, self.config.max_batch)
        if records and not self._until_done(lambda: self._batch(records), stop):
            return  # stopped while failing: nothing committed, and the heartbeat still says not ready
        if not self._until_done(self._tick, stop):
            return
        self._observe_lag()
        self._beat(True)

    def close(self) -> None:
        self.consumer.close()
        self.sink.close()

    # ------------------------------------------------------------------ one attempt

    def _batch(self, records: Sequence[Record]) -> None:
        started = time.perf_counter()
        report = self.processor.handle(records)
        self.checkpoint.commit(records)
        self.metrics.batch_size.observe(len(records))
        self.metrics.batch_seconds.observe(time.perf_counter() - started)
        self.observe(report)

    def _tick(self) -> None:
        report = self.processor.tick(self.clock(), self.consumer.assignment())
        if report is not None:
            self.checkpoint.flush()
            self.observe(report)

    # ------------------------------------------------------------------ failure

    def _until_done(self, attempt: Callable[[], None], stop: threading.Event) -> bool:
        """Redo the whole attempt until it succeeds (every step of it is safe to repeat): True, or we
        are stopped first: False."""
        delay = self.config.backoff_initial_s
        paused = False
        while not stop.is_set():
            try:
                attempt()
                if paused:
                    self.consumer.resume(self.consumer.assignment())
                    self._beat(True, force=True)
                return True
            except self.retry_on as exc:
                self.metrics.failures.inc()
                log.warning("attempt failed; retrying", extra={"error": repr(exc)[:300], "retry_in_s": delay})
                self.checkpoint.abandon()
                self.processor.forget()
                self._beat(False, force=True)
                if not paused:
                    self.consumer.pause(self.consumer.assignment())
                    paused = True
                stop.wait(delay)
                self._keep_membership()
                self._observe_lag(force=True)
                delay = min(delay * 2, self.config.backoff_max_s)
        return False

    def _keep_membership(self) -> None:
        """Poll while paused to stay in the group. A rebalance may hand us unpaused partitions whose
        records this poll returns: seek back so none is skipped, and pause them too."""
        first: dict[TopicPartition, int] = {}
        for r in self.consumer.poll(0, self.config.max_batch):
            tp = TopicPartition(r.topic, r.partition)
            first[tp] = min(first.get(tp, r.offset), r.offset)
        for tp, offset in first.items():
            self.consumer.seek(tp, offset)
        self.consumer.pause(self.consumer.assignment())

    # ------------------------------------------------------------------ group and health

    def _assigned(self, assigned: Assignment) -> None:
        self.processor.forget()
        log.info("partitions assigned", extra={"partitions": sorted(f"{t}:{p}" for t, p in assigned)})

    def _revoked(self, revoked: Assignment) -> None:
        self.processor.forget()

    def _beat(self, ready: bool, *, force: bool = False) -> None:
        self.heartbeat.beat(ready, force=force)
        self.metrics.ready(ready)

    def _observe_lag(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._lag_at < LAG_EVERY_S:
            return
        self._lag_at = now
        for tp, behind in self.consumer.lag().items():
            self.metrics.lag(tp.topic, tp.partition, behind)

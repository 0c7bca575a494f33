"""The consumer loop: poll, hand the batch to the processor, checkpoint; retry with backoff; tick.

Guarantees (tests/unit/test_stream_loop.py): offsets are committed only after the processor
returned and the sink's output was acknowledged; a failed attempt commits nothing and is redone
from the same records after a backoff, the partitions paused while the consumer stays in its
group; the processor forgets its cache on every rebalance and after every failure; a consumer that
gets no records for `stall_s` while the broker holds records past its positions stops (ConsumerStalled),
to be restarted, instead of spinning forever; so does one whose every attempt has failed for `give_up_s`
(ConsumerFailing): its supervisor (supervisord under make run, the kubelet) starts it afresh.
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
STALL_MIN_POLLS = 10


class ConsumerStalled(Exception):
    """Records wait past our positions on unpaused partitions, yet polls have returned none for
    `stall_s`: the client is stuck (kafka-python 3.0.12 did so after a lost join, docs/stream.md "Why 7").
    Not retried: the process stops, nothing uncommitted is lost, and a restarted consumer joins afresh."""


class ConsumerFailing(ConsumerStalled):
    """Every attempt has failed for `give_up_s`. Retrying in place cannot cure a wedged client (kafka-python
    3.0.12's producer timed out every flush after the broker's restart, for good); a new process can, and
    nothing uncommitted is lost. A long outage costs a restart every `give_up_s`, which is harmless."""


class ConsumerLoop:
    def __init__(self, consumer: ConsumerPort, processor: Processor[Any], sink: Sink, *, topics: list[str],
                 config: StreamConfig, heartbeat: Heartbeat, metrics: StreamMetrics,
                 retry_on: tuple[type[BaseException], ...], clock: Callable[[], datetime],
                 observe: Callable[[Any], None] = lambda report: None,
                 monotonic: Callable[[], float] = time.monotonic):
        """`retry_on`: the errors that mean "try again later" (store or broker away); any other error
        stops the process, to be restarted. `observe` records a service's own metrics from a report
        once its batch is committed (or its tick's output acknowledged)."""
        self.consumer, self.processor, self.sink = consumer, processor, sink
        self.checkpoint = Checkpoint(consumer, sink, flush_timeout_s=config.flush_timeout_s)
        self.topics, self.config, self.heartbeat, self.metrics = topics, config, heartbeat, metrics
        self.retry_on, self.clock, self.observe = retry_on, clock, observe
        self.monotonic = monotonic
        self._lag_at = 0.0
        self._idle_since: float | None = None
        self._empty_polls = 0

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
        if records:
            self._not_idle()
        else:
            self._check_stall()
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
        failing_since: float | None = None
        while not stop.is_set():
            try:
                attempt()
                if paused:
                    self.consumer.resume(self.consumer.assignment())
                    self._not_idle()  # paused is not stalled
                    self._beat(True, force=True)
                return True
            except self.retry_on as exc:
                self.metrics.failures.inc()
                failing_since = self.monotonic() if failing_since is None else failing_since
                failing_s = self.monotonic() - failing_since
                if failing_s >= self.config.give_up_s:
                    log.error("every attempt failed; stopping to be restarted",
                              extra={"error": repr(exc)[:300], "failing_s": round(failing_s, 1)})
                    raise ConsumerFailing(f"every attempt failed for {failing_s:.0f} s: {exc!r}"[:500]) from exc
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

    # ------------------------------------------------------------------ stall

    def _not_idle(self) -> None:
        self._idle_since, self._empty_polls = None, 0

    def _check_stall(self) -> None:
        """After `stall_s` and STALL_MIN_POLLS polls in a row without records, ask the broker whether
        any wait for us: none, and we are merely idle (look again after as long); some, and the
        consumer is stuck. Counting polls too keeps a long batch or tick from looking like a stall."""
        now = self.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        self._empty_polls += 1
        idle_s = now - self._idle_since
        if idle_s < self.config.stall_s or self._empty_polls < STALL_MIN_POLLS:
            return
        try:
            backlog = {tp: n for tp, n in self.consumer.backlog().items() if n > 0}
        except self.retry_on as exc:  # cannot tell now: the broker is away, which is not a stall
            log.warning("backlog check failed", extra={"error": repr(exc)[:300]})
            return
        if not backlog:
            self._not_idle()
            return
        waiting = sum(backlog.values())
        log.error("consumer stalled: records wait but no poll returned any; stopping to be restarted",
                  extra={"idle_s": round(idle_s, 1), "empty_polls": self._empty_polls, "records_waiting": waiting,
                         "partitions": sorted(f"{t}:{p}" for t, p in backlog)})
        raise ConsumerStalled(f"{self._empty_polls} polls in {idle_s:.0f} s returned no records while {waiting} "
                              f"wait on {len(backlog)} partitions")

    # ------------------------------------------------------------------ group and health

    def _assigned(self, assigned: Assignment) -> None:
        self.processor.forget()
        self._not_idle()
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

"""The stream runtime's loop against in-memory stand-ins of its ports: flush before commit, no commit on
failure, retry while keeping group membership, forget on rebalance, ticks."""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY

from shared.stream.config import StreamConfig
from shared.stream.heartbeat import Heartbeat, consumer_ready
from shared.stream.loop import STALL_MIN_POLLS, ConsumerFailing, ConsumerLoop, ConsumerStalled
from shared.stream.metrics import StreamMetrics
from shared.stream.ports import TopicPartition
from shared.stream.sink import Sink
from tests.support.fakes import Clock
from tests.support.stream_fakes import MemoryConsumer, MemoryProducer

IN, OUT, DLQ = "in.v1", "out.v1", "in.dlq"
P0, P1, P2 = TopicPartition(IN, 0), TopicPartition(IN, 1), TopicPartition(IN, 2)


class StoreAway(ConnectionError):
    """What the test treats as transient (the loop is told to retry it)."""


@dataclass
class RecordingProcessor:
    """Sends one output event per record; fails its first `failures` attempts; ticks when told to."""

    sink: Sink
    failures: int = 0
    error: type[Exception] = StoreAway
    tick_due: bool = False
    tick_failures: int = 0
    on_handle: object = None
    attempts: list[list[tuple[int, int]]] = field(default_factory=list)
    forgotten: int = 0
    ticks: list[tuple[datetime, frozenset]] = field(default_factory=list)

    def handle(self, records):
        self.attempts.append([(r.partition, r.offset) for r in records])
        for r in records:
            self.sink.send(OUT, r.key, r.value)
        if self.on_handle:
            self.on_handle()
        if self.failures:
            self.failures -= 1
            raise self.error("store away")
        return len(records)

    def forget(self) -> None:
        self.forgotten += 1

    def tick(self, now, assigned):
        self.ticks.append((now, assigned))
        if not self.tick_due:
            return None
        self.sink.send(OUT, b"tick", b"refresh")
        if self.tick_failures:
            self.tick_failures -= 1
            raise StoreAway("store away during the refresh")
        self.tick_due = False
        return "refreshed"


@dataclass
class Rig:
    log: list
    consumer: MemoryConsumer
    producer: MemoryProducer
    processor: RecordingProcessor
    loop: ConsumerLoop
    service: str
    observed: list
    state_dir: object
    seconds: list  # the loop's monotonic clock, [now]

    def metric(self, name: str) -> float:
        return REGISTRY.get_sample_value(name, {"service": self.service}) or 0.0


@pytest.fixture
def rig(tmp_path) -> Rig:
    log: list = []
    consumer, producer = MemoryConsumer(log), MemoryProducer(log)
    for partition, count in ((0, 3), (1, 2), (2, 0)):
        for i in range(count):
            consumer.append(IN, partition, f"p{partition}-{i}".encode(), key=b"k")
    service = f"test-{uuid.uuid4().hex[:8]}"
    metrics = StreamMetrics(service)
    sink = Sink(producer, dlq_topic=DLQ, metrics=metrics)
    processor = RecordingProcessor(sink)
    config = StreamConfig(group_id="g", state_dir=tmp_path, max_batch=100, poll_timeout_ms=0,
                          backoff_initial_s=0.001, backoff_max_s=0.004)
    observed: list = []
    seconds = [1000.0]
    loop = ConsumerLoop(consumer, processor, sink, topics=[IN], config=config,
                        heartbeat=Heartbeat(tmp_path, every_s=0), metrics=metrics, retry_on=(StoreAway, TimeoutError),
                        clock=Clock(datetime(2026, 11, 21, 17, 0, tzinfo=UTC)), observe=observed.append,
                        monotonic=lambda: seconds[0])
    loop.start()
    return Rig(log, consumer, producer, processor, loop, service, observed, tmp_path, seconds)


def commits(log: list) -> list[dict]:
    return [entry[1] for entry in log if isinstance(entry, tuple) and entry[0] == "commit"]


def test_a_batch_is_committed_only_after_its_output_is_acknowledged(rig):
    rig.loop.run_once(threading.Event())
    assert rig.processor.attempts == [[(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]]
    sends = [i for i, e in enumerate(rig.log) if isinstance(e, tuple) and e[0] == "send"]
    flush, commit = rig.log.index("flush"), next(i for i, e in enumerate(rig.log) if e[0] == "commit")
    assert len(sends) == 5 and max(sends) < flush < commit
    assert commits(rig.log) == [{P0: 3, P1: 2}]  # the next offset to read, per partition
    assert rig.observed == [5]
    assert rig.metric("stream_batch_size_count") == 1


def test_a_failing_batch_commits_nothing_and_is_redone_from_the_same_records(rig):
    rig.processor.failures = 2
    rig.loop.run_once(threading.Event())
    assert len(rig.processor.attempts) == 3 and len({tuple(a) for a in rig.processor.attempts}) == 1
    assert commits(rig.log) == [{P0: 3, P1: 2}]
    first_commit = next(i for i, e in enumerate(rig.log) if e[0] == "commit")
    assert rig.log.index("pause") < first_commit < rig.log.index("resume")  # paused until the batch is done
    assert rig.processor.forgotten >= 2 + 1  # once at assignment, once after each failure
    assert rig.metric("stream_batch_failures_total") == 2
    assert rig.observed == [5]  # a failed attempt reports nothing
    assert consumer_ready(rig.state_dir, stale_s=30)


def test_a_failed_flush_commits_nothing_and_the_batch_is_sent_again(rig):
    rig.producer.fail_flushes = 1
    rig.loop.run_once(threading.Event())
    assert "flush failed" in rig.log
    assert commits(rig.log) == [{P0: 3, P1: 2}]
    assert rig.log.index("flush failed") < next(i for i, e in enumerate(rig.log) if e[0] == "commit")
    assert len(rig.processor.attempts) == 2
    assert [v for t, _, v, _ in rig.producer.sent].count(b"p0-0") == 2  # at-least-once output, never none


def test_while_failing_the_consumer_stays_in_the_group_and_skips_nothing_a_rebalance_hands_over(rig):
    # Another member leaves while our store is away: partition 2 (with records) comes to us mid-retry.
    for i in range(4):
        rig.consumer.append(IN, 2, f"p2-{i}".encode())

    def lose_store_and_get_partition_2():
        if len(rig.processor.attempts) == 1:
            rig.consumer.rebalance({P0, P1, P2})

    rig.processor.on_handle = lose_store_and_get_partition_2
    rig.processor.failures = 2
    polls_before = rig.consumer.polls
    rig.loop.run_once(threading.Event())
    assert rig.consumer.polls - polls_before >= 3  # polled during the backoff: membership kept
    assert rig.processor.forgotten >= 4  # assignment, two failures, the rebalance (revoke and assign)
    # The retried attempt is the same batch; partition 2's records, returned by the membership poll,
    # were sought back, so the next polls hand them to the processor.
    assert rig.processor.attempts[-1] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
    for _ in range(3):
        rig.loop.run_once(threading.Event())
    handled = {pair for attempt in rig.processor.attempts for pair in attempt}
    assert {(2, i) for i in range(4)} <= handled
    assert rig.consumer.committed[P2] == 4 and rig.consumer.committed[P0] == 3


def test_every_rebalance_makes_the_processor_forget(rig):
    rig.loop.run_once(threading.Event())
    before = rig.processor.forgotten
    rig.consumer.rebalance({P1})
    rig.loop.run_once(threading.Event())
    assert rig.processor.forgotten == before + 2  # revoked, then assigned


def test_ticks_come_after_every_poll_with_the_time_and_assignment_and_their_output_is_flushed(rig):
    rig.loop.run_once(threading.Event())
    rig.loop.run_once(threading.Event())
    assert len(rig.processor.ticks) == 2
    assert rig.processor.ticks[0] == (datetime(2026, 11, 21, 17, 0, tzinfo=UTC), frozenset({P0, P1}))
    rig.processor.tick_due = True
    rig.log.clear()
    rig.loop.run_once(threading.Event())
    assert rig.log == [("send", OUT, b"refresh"), "flush"]  # no records, so no commit
    assert rig.observed[-1] == "refreshed"


def test_a_failing_tick_is_redone_after_a_backoff(rig):
    rig.processor.tick_due, rig.processor.tick_failures = True, 2
    rig.loop.run_once(threading.Event())
    assert rig.processor.tick_due is False and len(rig.processor.ticks) == 3
    assert rig.metric("stream_batch_failures_total") == 2
    assert rig.observed[-1] == "refreshed"


def test_an_unexpected_error_stops_the_consumer_without_committing(rig):
    rig.processor.failures, rig.processor.error = 1, KeyError
    with pytest.raises(KeyError):
        rig.loop.run_once(threading.Event())
    assert commits(rig.log) == []


def test_stopping_during_the_backoff_commits_nothing(rig):
    stop = threading.Event()
    rig.processor.failures = 100
    rig.processor.on_handle = lambda: len(rig.processor.attempts) == 3 and stop.set()
    rig.loop.run_once(stop)
    assert len(rig.processor.attempts) == 3 and commits(rig.log) == []
    assert not consumer_ready(rig.state_dir, stale_s=30)  # the heartbeat says why /readyz fails


def test_a_commit_refused_after_a_rebalance_is_logged_not_raised(rig, caplog):
    rig.consumer.refuse_commits = True
    with caplog.at_level(logging.WARNING):
        rig.loop.run_once(threading.Event())
    assert "offset commit refused" in caplog.text


def test_offsets_of_partitions_lost_during_the_batch_are_not_committed(rig):
    rig.processor.on_handle = lambda: setattr(rig.consumer, "assigned", frozenset({P0}))
    rig.loop.run_once(threading.Event())
    assert commits(rig.log) == [{P0: 3}]


def test_a_dead_letter_keeps_the_original_bytes_and_says_why_and_where_from(rig):
    record = rig.consumer.partitions[P1][1]
    rig.loop.sink.dead_letter(record, "invalid: no score")
    topic, key, value, headers = rig.producer.sent[-1]
    assert (topic, key, value) == (DLQ, b"k", b"p1-1")
    assert dict(headers) == {"reason": b"invalid: no score", "source_topic": IN.encode(),
                             "source_partition": b"1", "source_offset": b"1"}
    assert REGISTRY.get_sample_value("stream_dead_letters_total", {"service": rig.service, "topic": IN}) == 1


def test_a_stale_heartbeat_is_not_ready(tmp_path):
    Heartbeat(tmp_path).beat(True)
    assert consumer_ready(tmp_path, stale_s=30)
    assert not consumer_ready(tmp_path, stale_s=0)
    assert not consumer_ready(tmp_path / "nobody", stale_s=30)


def test_closing_leaves_the_group_and_closes_the_producer(rig):
    rig.loop.close()
    assert rig.consumer.closed and rig.producer.closed


def _empty_polls(rig: Rig, count: int, every_s: float) -> None:
    for _ in range(count):
        rig.seconds[0] += every_s
        rig.loop.run_once(threading.Event())


def test_a_consumer_whose_polls_return_nothing_while_records_wait_stops_to_be_restarted(rig):
    # The bench-scoring hang: assigned, records waiting, every poll empty, for minutes.
    rig.consumer.stuck = True
    stall_s = rig.loop.config.stall_s
    _empty_polls(rig, STALL_MIN_POLLS - 1, stall_s)  # long enough, but too few polls to judge
    assert rig.consumer.backlog_checks == 0
    with pytest.raises(ConsumerStalled, match="5 wait on 2 partitions"):
        _empty_polls(rig, 1, stall_s)
    assert commits(rig.log) == []


def test_an_idle_consumer_with_nothing_waiting_is_not_stalled_and_asks_the_broker_rarely(rig):
    rig.loop.run_once(threading.Event())  # drains the 5 records
    stall_s = rig.loop.config.stall_s
    _empty_polls(rig, 200, stall_s / 10)  # 20 stall periods of idling
    assert 1 <= rig.consumer.backlog_checks <= 20


def test_records_arriving_after_a_quiet_spell_are_consumed_not_taken_for_a_stall(rig):
    rig.loop.run_once(threading.Event())
    stall_s = rig.loop.config.stall_s
    _empty_polls(rig, STALL_MIN_POLLS, stall_s / STALL_MIN_POLLS)  # idle, checked, found idle
    checks = rig.consumer.backlog_checks
    rig.consumer.append(IN, 0, b"late")
    _empty_polls(rig, 1, stall_s)
    assert rig.consumer.committed[P0] == 4 and rig.consumer.backlog_checks == checks


def test_time_spent_paused_while_the_store_is_away_does_not_count_as_a_stall(rig):
    stall_s = rig.loop.config.stall_s
    rig.processor.failures = 3
    rig.processor.on_handle = lambda: rig.seconds.__setitem__(0, rig.seconds[0] + stall_s)
    rig.loop.run_once(threading.Event())  # four attempts, four stall periods, then committed
    assert commits(rig.log) == [{P0: 3, P1: 2}]
    rig.consumer.append(IN, 1, b"next")
    rig.consumer.stuck = True
    _empty_polls(rig, STALL_MIN_POLLS - 1, stall_s / 2)
    assert rig.consumer.backlog_checks == 0


def test_a_consumer_whose_every_attempt_fails_for_give_up_s_stops_to_be_restarted(rig):
    # After the broker's restart, kafka-python's producer timed out every flush for good, the broker up.
    give_up_s = rig.loop.config.give_up_s
    rig.processor.failures = 10**6
    rig.processor.on_handle = lambda: rig.seconds.__setitem__(0, rig.seconds[0] + give_up_s / 4)
    with pytest.raises(ConsumerFailing, match="every attempt failed for 300 s"):
        rig.loop.run_once(threading.Event())
    assert len(rig.processor.attempts) == 5  # failing since the first: 0, 75, 150, 225, 300 s
    assert commits(rig.log) == []
    assert not consumer_ready(rig.state_dir, stale_s=30)


def test_an_outage_shorter_than_give_up_s_is_ridden_out_in_place(rig):
    give_up_s = rig.loop.config.give_up_s
    rig.processor.failures = 3
    rig.processor.on_handle = lambda: rig.seconds.__setitem__(0, rig.seconds[0] + give_up_s / 4)
    rig.loop.run_once(threading.Event())  # failing for 150 s, then committed
    assert commits(rig.log) == [{P0: 3, P1: 2}]


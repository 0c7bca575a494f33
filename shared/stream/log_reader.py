"""Reading topics from their beginning to fixed end offsets: every replay of the platform's log.

Awards (close and verify), what-if re-ranking, scoring's audit and the ballots backfill all rebuild
from the log this one way: no consumer group (the live services are untouched), read-committed, each
partition in order up to an end offset fixed before reading, so a rebuild is reproducible. The caller
gets the records batch by batch (several partitions, each in order), as a processor gets them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Sequence

from shared.config import Settings
from shared.stream.ports import Record

Ends = dict[tuple[str, int], int]


def _consumer(settings: Settings):
    from kafka import KafkaConsumer

    from shared.kafka import client_security

    return KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False,
                         isolation_level="read_committed", max_partition_fetch_bytes=8 * 1024 * 1024,
                         **client_security(settings))


def end_offsets(settings: Settings, topics: Iterable[str]) -> Ends:
    """The current end of every partition of these topics (what a close or a rebuild freezes)."""
    from kafka import TopicPartition

    consumer = _consumer(settings)
    try:
        parts = []
        for topic in topics:
            partitions = sorted(consumer.partitions_for_topic(topic) or [])
            if not partitions:
                raise RuntimeError(f"topic {topic} does not exist or has no partitions")
            parts += [TopicPartition(topic, p) for p in partitions]
        return {(tp.topic, tp.partition): offset for tp, offset in consumer.end_offsets(parts).items()}
    finally:
        consumer.close()


def read_log(settings: Settings, ends: Ends, handle: Callable[[Sequence[Record]], object], *,
             progress: bool = False, stall_s: float = 60.0, max_records: int = 20000,
             whole: bool = True) -> int:
    """Hand every record below `ends` to `handle`, from each partition's first offset; returns how many.

    `whole`: refuse a partition whose log no longer starts at offset 0 (retention removed records), for
    rebuilds that must see everything (awards). Raises when the broker gives nothing for `stall_s`.
    """
    from kafka import TopicPartition
    from tqdm import tqdm

    consumer = _consumer(settings)
    try:
        for topic in {t for t, _ in ends}:
            known = consumer.partitions_for_topic(topic) or set()
            missing = sorted(p for t, p in ends if t == topic and p not in known)
            if missing:
                raise RuntimeError(f"topic {topic} has no partition {missing[0]}; is it the log that was frozen?")
        parts = [TopicPartition(t, p) for (t, p), end in sorted(ends.items()) if end > 0]
        if not parts:
            return 0
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        if whole:
            for tp in parts:
                if consumer.position(tp) > 0:
                    raise RuntimeError(f"{tp.topic}:{tp.partition} no longer starts at offset 0 (retention removed "
                                       "records); the figures cannot be rebuilt from this log")
        remaining = {tp: ends[(tp.topic, tp.partition)] for tp in parts}
        bar = tqdm(total=sum(remaining.values()), unit="record", file=sys.stderr, disable=not progress,
                   desc="reading the log")
        read = 0
        last_progress = time.monotonic()
        while remaining:
            polled = consumer.poll(timeout_ms=1000, max_records=max_records)
            batch = [r for tp, records in polled.items() if tp in remaining
                     for r in records if r.offset < remaining[tp]]
            if batch:
                handle(batch)
                read += len(batch)
                bar.update(len(batch))
                last_progress = time.monotonic()
            for tp in list(remaining):  # control records (transactions) move positions without data
                if consumer.position(tp) >= remaining[tp]:
                    remaining.pop(tp)
                    consumer.pause(tp)
            if remaining and time.monotonic() - last_progress > stall_s:
                raise RuntimeError(f"no progress reading the log for {stall_s:.0f} s; is Kafka reachable?")
        bar.close()
        return read
    finally:
        consumer.close()

"""Consumer metrics every stream service has, labelled by service (its own metrics are `<service>_*`).

Written by the consumer process as Prometheus multiprocess files; the web process serves them.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LAG = Gauge("stream_consumer_lag", "Records behind the partition's end", ["service", "topic", "partition"],
            multiprocess_mode="mostrecent")
READY = Gauge("stream_consumer_ready", "1 while the consumer's batches succeed", ["service"],
              multiprocess_mode="mostrecent")
BATCH_SIZE = Histogram("stream_batch_size", "Records per committed batch", ["service"],
                       buckets=(1, 10, 50, 100, 500, 1000, 2000, 5000, 10000, 20000, 50000))
BATCH_SECONDS = Histogram("stream_batch_seconds", "Time to handle, flush and commit a batch", ["service"],
                          buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))
FAILURES = Counter("stream_batch_failures_total", "Attempts (batch or tick) that failed and were redone",
                   ["service"])
DEAD_LETTERS = Counter("stream_dead_letters_total", "Records sent to the dead-letter topic, by source topic",
                       ["service", "topic"])


class StreamMetrics:
    """The runtime's metrics bound to one service's label."""

    def __init__(self, service: str):
        self.service = service
        self.batch_size = BATCH_SIZE.labels(service)
        self.batch_seconds = BATCH_SECONDS.labels(service)
        self.failures = FAILURES.labels(service)
        self._ready = READY.labels(service)

    def ready(self, value: bool) -> None:
        self._ready.set(1 if value else 0)

    def lag(self, topic: str, partition: int, behind: int) -> None:
        LAG.labels(self.service, topic, str(partition)).set(behind)

    def dead_letter(self, source_topic: str) -> None:
        DEAD_LETTERS.labels(self.service, source_topic).inc()

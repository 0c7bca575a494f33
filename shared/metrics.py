"""Prometheus metrics, multiprocess-safe under gunicorn (PROMETHEUS_MULTIPROC_DIR)."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests by route and status", ["service", "route", "method", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds", "HTTP request latency", ["service", "route", "method"],
    buckets=LATENCY_BUCKETS,
)

STORE_OPERATIONS = Counter(
    "store_operations_total", "Commands sent to the document store, by command (round trips)", ["command"]
)


def render(extra_dirs: tuple[str, ...] = (), collectors: tuple[Collector, ...] = ()) -> tuple[bytes, str]:
    """The exposition for /metrics: merged across worker processes when running under gunicorn.

    `extra_dirs` are multiprocess folders of other processes of the service (e.g. a consumer);
    `collectors` compute their values at scrape time (e.g. the consumer's heartbeat age).
    """
    extra = CollectorRegistry()
    for collector in collectors:
        extra.register(collector)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        for directory in extra_dirs:
            if os.path.isdir(directory):
                multiprocess.MultiProcessCollector(registry, path=directory)
        return generate_latest(registry) + generate_latest(extra), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY) + generate_latest(extra), CONTENT_TYPE_LATEST

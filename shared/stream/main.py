"""The entry point of every consumer process: metrics directory, logging, signals, profile, clean shutdown.

`services/<name>/consumer.py` calls `run_consumer`; `build` is called only after the Prometheus
multiprocess directory is set, so it must import the service's modules itself (prometheus_client
picks its value class when first imported).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.stream.config import StreamConfig

if TYPE_CHECKING:
    from shared.stream.loop import ConsumerLoop


def run_consumer(service: str, config: StreamConfig, build: Callable[[], ConsumerLoop], *,
                 log_level: str = "INFO") -> int:
    config.metrics_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(config.metrics_dir)
    from shared.logs import configure_logging

    configure_logging(f"{service}-consumer", log_level)
    loop = build()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    profiler = None
    if config.profile_path:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        loop.run(stop)
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(config.profile_path)
        loop.close()
    return 0

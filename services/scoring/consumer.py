"""`python -m services.scoring.consumer`: the scoring consumer, one OS process per group member.

It runs apart from the web workers so that it can be scaled, restarted and SIGKILLed on its own,
and gunicorn's worker count never changes the number of consumers. It leaves its metrics
(Prometheus multiprocess files) and a heartbeat in SCORING_STATE_DIR for the web process.
"""

from __future__ import annotations

import os
import signal
import sys
import threading


def main() -> int:
    from services.scoring.config import ScoringConfig

    config = ScoringConfig.from_env()
    config.metrics_dir.mkdir(parents=True, exist_ok=True)
    # Before prometheus_client is imported: its value class is chosen at import time.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(config.metrics_dir)

    from services.scoring.handler import Scorer, Windows
    from services.scoring.sink import KafkaSink
    from services.scoring.store import ScoringStore
    from services.scoring.worker import Heartbeat, ScoringWorker
    from shared import kafka, mongo
    from shared.districts import load_registry
    from shared.logs import configure_logging
    from shared.timeutil import utcnow

    settings = config.platform
    configure_logging("scoring-consumer", settings.log_level)
    kafka.ensure_topics(settings)
    store = ScoringStore(mongo.database(settings))
    producer = kafka.make_producer(settings, client_id="scoring", publish_timeout_s=10.0, linger_ms=5)
    sink = KafkaSink(producer, settings.topics.scores, settings.topics.votes_dlq)
    scorer = Scorer(store, load_registry(settings.size_groups_csv), sink, votes_topic=settings.topics.votes,
                    comments_topic=settings.topics.comments,
                    windows=Windows(config.campaign_start, config.campaign_end), clock=utcnow)
    topics = [settings.topics.votes, settings.topics.comments]
    consumer = kafka.make_consumer(settings, group_id=config.group_id, client_id=f"scoring-{os.getpid()}",
                                   max_poll_records=config.max_batch, max_partition_fetch_bytes=8 * 1024 * 1024,
                                   fetch_max_bytes=64 * 1024 * 1024)
    worker = ScoringWorker(consumer, scorer, sink, Heartbeat(config.state_dir), topics=topics,
                           votes_topic=settings.topics.votes, max_batch=config.max_batch,
                           poll_timeout_ms=config.poll_timeout_ms, backoff_max_s=config.backoff_max_s,
                           clock=utcnow)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    profile_path = os.environ.get("SCORING_PROFILE")  # the benchmark's "where does the time go"
    profiler = None
    if profile_path:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        worker.run(stop)
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile_path)
        consumer.close(autocommit=False)
        producer.close(timeout=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())

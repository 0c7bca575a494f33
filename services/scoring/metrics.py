"""Scoring metrics. The consumer process writes them (multiprocess files); the web process serves them."""

from prometheus_client import Counter, Gauge, Histogram

VOTES_APPLIED = Counter("scoring_votes_applied_total", "Votes counted into the buckets")
DUPLICATES_SKIPPED = Counter("scoring_duplicates_skipped_total", "Votes skipped: the vote_id was already counted")
REPLAYED = Counter("scoring_votes_replayed_total", "Redelivered votes the bucket watermarks had already applied")
DLQ_MESSAGES = Counter("scoring_dlq_messages_total", "Messages sent to the dead-letter topic", ["topic"])
SCORES_PUBLISHED = Counter("scoring_scores_published_total", "scores.v1 events published")
STORE_FAILURES = Counter("scoring_store_failures_total", "Batches that failed on the store and were retried")
BATCH_SIZE = Histogram("scoring_batch_size", "Messages per applied batch",
                       buckets=(1, 10, 50, 100, 500, 1000, 2000, 5000, 10000, 20000, 50000))
BATCH_SECONDS = Histogram("scoring_batch_seconds", "Time to apply a batch (store, standings, publish, commit)",
                          buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))
END_TO_END = Histogram("scoring_end_to_end_seconds", "From a vote's submitted_at to its standing being applied",
                       buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600, 86400))
LAG = Gauge("scoring_consumer_lag", "Messages behind the partition's end", ["topic", "partition"],
            multiprocess_mode="mostrecent")
READY = Gauge("scoring_consumer_ready", "1 while the consumer can reach the store", multiprocess_mode="mostrecent")

"""Ingest's own metrics (HTTP request metrics come from shared.metrics)."""

from prometheus_client import Counter, Histogram

from shared.metrics import LATENCY_BUCKETS

VOTES_ACCEPTED = Counter("ingest_votes_accepted_total", "Votes acknowledged by Kafka", ["channel"])
VOTES_REJECTED = Counter("ingest_votes_rejected_total", "Votes refused, by reason", ["channel", "reason"])
VOTES_REPLAYED = Counter("ingest_votes_replayed_total", "Idempotent retries answered from the store",
                         ["channel"])
REDACTIONS = Counter("ingest_personal_data_redactions_total", "Personal identifiers redacted from text")
KAFKA_PUBLISH_LATENCY = Histogram("ingest_kafka_publish_seconds", "Time to publish a request's events and get acks",
                                  ["event"], buckets=LATENCY_BUCKETS)
KAFKA_PUBLISH_FAILURES = Counter("ingest_kafka_publish_failures_total", "Events Kafka did not acknowledge",
                                 ["event", "error"])
STORE_FAILURES = Counter("ingest_store_failures_total", "Document store operations that failed", ["operation"])

"""Ingest: takes votes from channels and publishes them to Kafka as `votes.v1` events."""

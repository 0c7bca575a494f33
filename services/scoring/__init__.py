"""Scoring: turns votes.v1 into exact per-district daily buckets and standings, published as scores.v1."""

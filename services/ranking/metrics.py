"""Ranking's Prometheus metrics (multiprocess-safe; the consumer writes them into its state dir)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

EVENTS_APPLIED = Counter("ranking_events_applied_total", "scores.v1 standings stored as a district's newest")
STALE_IGNORED = Counter("ranking_stale_events_ignored_total",
                        "scores.v1 standings ignored because a newer (or the same) one was already held")
INVALID_EVENTS = Counter("ranking_invalid_events_total", "scores.v1 records that could not be read")
SNAPSHOTS = Counter("ranking_snapshots_written_total", "daily leaderboard snapshots written")
LEADERBOARD_AGE = Gauge("ranking_leaderboard_age_seconds",
                        "seconds since a web process last confirmed its leaderboards current with the store",
                        multiprocess_mode="max")


def observe(report) -> None:
    """Called by the stream runtime once a batch (or a tick) is committed: count what the processor did."""
    EVENTS_APPLIED.inc(report.applied)
    STALE_IGNORED.inc(report.stale)
    INVALID_EVENTS.inc(report.invalid)
    SNAPSHOTS.inc(report.snapshots)

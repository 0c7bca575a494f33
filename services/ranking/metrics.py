"""The ranking consumer's Prometheus metrics (multiprocess files in its state dir, merged by the web process).

Only the consumer imports this module: in multiprocess mode a counter is written (as 0) by every
process that creates it, and the web process would then serve each series twice. The web process's
own gauge is in web_metrics.py.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from shared.timeutil import utcnow

EVENTS_APPLIED = Counter("ranking_events_applied_total", "scores.v1 standings stored as a district's newest")
STALE_IGNORED = Counter("ranking_stale_events_ignored_total",
                        "scores.v1 standings ignored because a newer (or the same) one was already held")
INVALID_EVENTS = Counter("ranking_invalid_events_total", "scores.v1 records that could not be read")
SNAPSHOTS = Counter("ranking_snapshots_written_total", "daily leaderboard snapshots written")
# Ranking's part of vote-to-leaderboard freshness (scoring's part is scoring_end_to_end_seconds).
STANDING_AGE = Histogram("ranking_standing_age_seconds",
                         "From scoring computing a standing (scores.v1 as_of) to ranking storing it",
                         buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600))


def observe(report) -> None:
    """Called by the stream runtime once a batch (or a tick) is committed: count what the processor did."""
    EVENTS_APPLIED.inc(report.applied)
    STALE_IGNORED.inc(report.stale)
    INVALID_EVENTS.inc(report.invalid)
    SNAPSHOTS.inc(report.snapshots)
    now = utcnow()
    for as_of in getattr(report, "applied_as_of", ()):
        STANDING_AGE.observe(max(0.0, (now - as_of).total_seconds()))

"""Scoring's own metrics (the consumer's lag, batches, failures and readiness are shared.stream's,
labelled service="scoring"). The consumer process writes them; the web process serves them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import Counter, Histogram

from shared.timeutil import utcnow

if TYPE_CHECKING:
    from services.scoring.processor import BatchReport

VOTES_APPLIED = Counter("scoring_votes_applied_total", "Votes counted into the buckets")
DUPLICATES_SKIPPED = Counter("scoring_duplicates_skipped_total", "Votes skipped: the vote_id was already counted")
REPLAYED = Counter("scoring_votes_replayed_total", "Redelivered votes the buckets had already applied")
VOTES_FLAGGED = Counter("scoring_votes_flagged_total", "Votes applied as flagged (counted apart), by flag rule",
                        ["reason"])
SCORES_PUBLISHED = Counter("scoring_scores_published_total", "scores.v1 events published")
END_TO_END = Histogram("scoring_end_to_end_seconds", "From a vote's submitted_at to its standing being applied",
                       buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600, 86400))


def observe(report: BatchReport) -> None:
    """What a committed batch (or an acknowledged refresh) did; the runtime calls it."""
    now = utcnow()
    VOTES_APPLIED.inc(report.applied)
    DUPLICATES_SKIPPED.inc(report.duplicates)
    REPLAYED.inc(report.replayed)
    SCORES_PUBLISHED.inc(report.published)
    for vote in report.applied_votes:
        END_TO_END.observe(max(0.0, (now - vote.submitted_at).total_seconds()))
        if vote.flagged:  # what ingest_votes_flagged_total counted when ingest decided the flags
            VOTES_FLAGGED.labels(vote.flag_reason or "unknown").inc()

"""Notify's metrics (multiprocess-safe: the consumer and dispatcher write, the web process serves)."""

from prometheus_client import Counter, Gauge, Histogram

_HOURS = tuple(h * 3600 for h in (0.25, 0.5, 1, 2, 4, 8, 12, 24, 36, 48, 72, 96, 168, 336))

VOTES_COUNTED = Counter("notify_votes_counted_total", "Votes entered into notify's rule data")
VOTES_FLAGGED = Counter("notify_votes_flagged_total", "Flagged votes left out of the rules")
VOTES_INVALID = Counter("notify_votes_invalid_total", "votes.v1 messages notify could not read (scoring DLQs them)")
ALERTS_OPENED = Counter("notify_alerts_opened_total", "Alerts opened", ["rule"])
EVENTS_DECIDED = Counter("notify_events_total", "Alert events decided", ["event"])
MESSAGES_QUEUED = Counter("notify_messages_queued_total", "Messages put in the outbox", ["transport"])
UNROUTABLE = Counter("notify_unroutable_total", "Events with no receiver to send to", ["reason"])
DELIVERED = Counter("notify_messages_delivered_total", "Messages a transport accepted", ["transport"])
ATTEMPTS_FAILED = Counter("notify_delivery_failures_total", "Failed delivery attempts", ["transport", "kind"])
DEAD_LETTERS = Counter("notify_dead_letters_total", "Messages given up on", ["transport"])
DELIVERY_SECONDS = Histogram("notify_delivery_seconds", "From outbox to accepted by the transport", ["transport"],
                             buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600))
TIME_TO_ACKNOWLEDGE = Histogram("notify_time_to_acknowledge_seconds", "From an alert opening to its acknowledgement",
                                buckets=_HOURS)
TIME_TO_RESOLVE = Histogram("notify_time_to_resolve_seconds", "From an alert opening to its resolution",
                            buckets=_HOURS)
STORIES_READ = Counter("notify_stories_read_total", "stories.v1 records (tellings and withdrawals) applied")
OPEN_ALERTS = Gauge("notify_open_alerts", "Alerts not yet resolved", multiprocess_mode="mostrecent")


def observe(report) -> None:
    """Counted from a processor's report once its batch is committed, so a redone batch counts once."""
    if report is None:
        return
    VOTES_COUNTED.inc(report.votes)
    VOTES_FLAGGED.inc(report.flagged)
    VOTES_INVALID.inc(report.invalid)
    STORIES_READ.inc(getattr(report, "stories", 0))

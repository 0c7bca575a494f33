"""The ranking web process's own metric (see metrics.py for why it is apart from the consumer's)."""

from __future__ import annotations

from prometheus_client import Gauge

LEADERBOARD_AGE = Gauge("ranking_leaderboard_age_seconds",
                        "seconds since a web process last confirmed its leaderboards current with the store",
                        multiprocess_mode="max")

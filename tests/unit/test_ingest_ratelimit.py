"""The per-IP window kept in each ingest process (services/ingest/ratelimit.py): the limit, and a bounded table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.ingest.ratelimit import LocalRateLimiter

NOW = datetime(2026, 11, 21, 3, 0, 10, tzinfo=UTC)


def test_the_limit_per_minute_and_the_wait_until_the_next_window():
    limiter = LocalRateLimiter(limit_per_minute=3)
    assert [limiter.hit("addr", 1, NOW) for _ in range(3)] == [None, None, None]
    assert limiter.hit("addr", 1, NOW) == 50.0  # seconds until 03:01:00
    assert limiter.hit("other", 1, NOW) is None  # per address
    assert limiter.hit("addr", 1, NOW + timedelta(minutes=1)) is None  # a new window
    assert limiter.hit("batch", 4, NOW) is not None  # a request counts all of its votes


def test_many_addresses_cannot_grow_the_table_past_its_cap():
    limiter = LocalRateLimiter(limit_per_minute=2, max_subjects=100)
    limiter.hit("kept", 1, NOW)
    for i in range(10_000):
        limiter.hit(f"attacker-{i}", 1, NOW)
        if i % 10 == 0:
            limiter.hit("kept", 0, NOW)  # seen again: the most recent, not evicted
    assert len(limiter) == 100
    limiter.hit("kept", 1, NOW)
    assert limiter.hit("kept", 1, NOW) is not None  # its window survived the flood: 3 > 2
    assert limiter.hit("attacker-0", 1, NOW) is None  # evicted long ago: a fresh window (fails open)


def test_expire_forgets_windows_that_are_over():
    limiter = LocalRateLimiter(limit_per_minute=2)
    limiter.hit("a", 1, NOW)
    limiter.hit("b", 1, NOW + timedelta(minutes=1))
    assert limiter.expire(NOW + timedelta(minutes=1)) == 1 and len(limiter) == 1

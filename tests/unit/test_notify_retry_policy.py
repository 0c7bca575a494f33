"""Backoff: exponential with jitter, capped; a peer's Retry-After wins (within its own cap)."""

from __future__ import annotations

import random

from services.notify.dispatcher import RetryPolicy


def test_exponential_with_jitter_and_cap():
    policy = RetryPolicy(base_s=2, cap_s=60)
    rng = random.Random(7)
    for attempts, ceiling in [(1, 2), (2, 4), (3, 8), (4, 16), (6, 60), (20, 60)]:
        delays = [policy.delay(attempts, None, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 10  # jittered, not in lockstep


def test_retry_after_is_honoured_and_capped():
    policy = RetryPolicy(retry_after_cap_s=600)
    assert policy.delay(1, 30.0, random.Random()) == 30.0
    assert policy.delay(1, 86400.0, random.Random()) == 600

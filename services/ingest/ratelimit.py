"""The per-IP window for public channels (qr, web), kept in this process: no store round trip per vote.

Fixed one-minute windows per hashed client address, in a bounded table: at most `max_subjects` addresses
are remembered, the least recently seen evicted first, so an attacker sending from many addresses cannot
grow it (its cost: an evicted address starts a fresh window, i.e. the limit fails open, as an outage of the
store-kept window did). The limit is **per process**: with W gunicorn workers and P pods a client spread
over them may send up to W × P times the limit per minute (docs/ingest.md, "Who is throttled"). It is a
shield against a flood from one device, not a count: what one address puts into the official figures is
the flag rules' concern (scoring's, shared/flags.py).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime

MAX_SUBJECTS = 50_000  # ~100 bytes each: a few MiB per worker at most


class LocalRateLimiter:
    """`RateLimiter` (shared/claims.py) in memory: hit(subject, amount, now) -> None or seconds to wait."""

    def __init__(self, limit_per_minute: int, max_subjects: int = MAX_SUBJECTS):
        self.limit = limit_per_minute
        self.max_subjects = max(1, max_subjects)
        self._windows: OrderedDict[str, tuple[int, int]] = OrderedDict()  # subject -> (minute, count)
        self._lock = threading.Lock()

    def hit(self, subject: str, amount: int, now: datetime) -> float | None:
        minute = int(now.timestamp() // 60)
        with self._lock:
            held_minute, count = self._windows.pop(subject, (minute, 0))
            count = (count if held_minute == minute else 0) + amount
            self._windows[subject] = (minute, count)  # now the most recently seen
            while len(self._windows) > self.max_subjects:
                self._windows.popitem(last=False)
        if count <= self.limit:
            return None
        return max(1.0, (minute + 1) * 60 - now.timestamp())

    def __len__(self) -> int:
        return len(self._windows)

    def expire(self, now: datetime) -> int:
        """Forget windows that are over (the expiry thread calls it with the stores'); how many went."""
        minute = int(now.timestamp() // 60)
        with self._lock:
            old = [s for s, (m, _) in self._windows.items() if m < minute]
            for subject in old:
                del self._windows[subject]
        return len(old)

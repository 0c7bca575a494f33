"""How the chief's inbox and the alert page's comments cost as a district's feedback grows.

Writes N feedback documents for one district over 30 Bangkok days into a fresh database (through the
feedback store's own writes, batch by batch as the ballots processor would), then times, in one process
against the store given: the inbox page's read of the default 30-day range (and its praise counts), and the
alert page's comments (one keyed read of the newest-comments document). Not a test: numbers for docs/notify.md.

    .venv/bin/python -m bench.inbox_bench mongodb://127.0.0.1:27101/ 300 3000
"""

from __future__ import annotations

import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from itertools import islice

from pymongo import MongoClient

from services.notify.feedback import feedback_writes
from services.notify.feedback_store import FeedbackStore
from services.notify.inbox import PAGE_SIZE
from services.notify.praise_counts import count_praise
from services.notify.trend import recent_comments
from shared.events import BallotEvent
from shared.praise import PraiseDirectory
from shared.timeutil import bangkok_day

STAFF = ("พี่นก งานบัตร", "คุณสมศรี", "น้องต้น ทะเบียน", None, None)


def fill(store: FeedbackStore, count: int, now: datetime) -> None:
    ballots = []
    for i in range(count):
        at = now - timedelta(minutes=i * (30 * 24 * 60) // max(count, 1))
        ballots.append(BallotEvent(vote_id=uuid.uuid4().hex, district_code="3706", kind="vote", decision="counted",
                                   day=bangkok_day(at).isoformat(), score=1 + i % 5,
                                   comment="รอคิวนานมาก เจ้าหน้าที่น้อย " * 4, submitted_at=at, channel="qr",
                                   service="id_card", staff=STAFF[i % len(STAFF)], received_at=at))
    for start in range(0, count, 200):
        store.apply(feedback_writes(ballots[start:start + 200], lambda _d: PraiseDirectory(), lambda _b: None))


def timed(fn, rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - began)
    return best


def main(uri: str, *sizes: str) -> None:
    client = MongoClient(uri, tz_aware=True)
    now = datetime.now(UTC)
    today = bangkok_day(now)
    first = today - timedelta(days=29)
    for size in (int(s) for s in sizes):
        name = f"bench_inbox_{uuid.uuid4().hex[:8]}"
        db = client[name]
        store = FeedbackStore(db.notify_feedback, db.notify_feedback_latest, db.notify_praise_days)
        store.ensure_indexes()
        try:
            fill(store, size, now)
            whole = timed(lambda s=store: count_praise(list(s.district_days("3706", today, first)), PraiseDirectory()))
            inbox = timed(lambda s=store: (list(islice(s.district_days("3706", today, first), PAGE_SIZE)),
                                           count_praise(s.praise_mentions("3706", first, today), PraiseDirectory())))
            alert = timed(lambda s=store: recent_comments(s, "3706", today))
            print(f"{size:>6} documents: every document of 30 days + praise {whole * 1000:7.1f} ms; inbox (first "
                  f"{PAGE_SIZE} + praise tally) {inbox * 1000:7.1f} ms; alert page comments {alert * 1000:6.1f} ms")
        finally:
            client.drop_database(name)


if __name__ == "__main__":
    main(sys.argv[1], *sys.argv[2:])

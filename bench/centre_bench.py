#!/usr/bin/env python3
"""The centre's view on an aged store: the tagger's comments per second, and searches and topic counts over a
campaign's comments (issue 20; docs/notify.md, "The centre's view of what citizens said").

A fresh database on the test profile's FerretDB gets COMMENTS feedback documents (texts from the labelled
set, one or two joined) spread over DAYS Bangkok days and 878 districts, tagged as notify tags them; then
it is aged: every third day's documents deleted by the indexed `day` (as notify's expiry deletes) and written
again under new ids, so the table holds dead rows and its indexes have churned as a running campaign's would. Each
measure is the median of ROUNDS. Results go to var/bench/centre.json.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pymongo import MongoClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.notify.feedback_query import parse_query  # noqa: E402
from services.notify.feedback_search import documents, matcher, search  # noqa: E402
from services.notify.feedback_store import FeedbackStore  # noqa: E402
from services.notify.topic_stats import summarise  # noqa: E402
from shared.config import Settings  # noqa: E402
from shared.districts import load_registry  # noqa: E402
from shared.topics import default_tagger  # noqa: E402
from tests.support.infra import local_servers  # noqa: E402

COMMENTS = int(os.environ.get("BENCH_COMMENTS", "42000"))
DAYS = int(os.environ.get("BENCH_DAYS", "60"))
ROUNDS = 3
LAST = date(2026, 12, 1)


def say(text: str) -> None:
    print(f"[bench-centre] {text}", file=sys.stderr, flush=True)


def texts() -> list[str]:
    rows = [json.loads(line)["text"] for line in (ROOT / "tests/data/topics_labelled.jsonl").open(encoding="utf-8")]
    rng = random.Random(20)
    return [rng.choice(rows) if rng.random() < 0.6 else f"{rng.choice(rows)} {rng.choice(rows)}"
            for _ in range(COMMENTS)]


def document(i: int, text: str, topics: dict, codes: list[str], rng: random.Random) -> dict:
    day = LAST - timedelta(days=rng.randrange(DAYS))
    code = rng.choice(codes)
    at = datetime(day.year, day.month, day.day, 3, tzinfo=UTC) + timedelta(seconds=rng.randrange(30000))
    return {"_id": f"bench-{i}", "district": code, "day": day.isoformat(), "dday": f"{code}:{day.isoformat()}",
            "score": rng.randint(1, 5), "service": rng.choice(["id_card", "house_registration", None]),
            "channel": rng.choice(["qr", "line", "kiosk"]), "submitted_at": at, "received_at": at,
            "comment": text, "comment_channel": None, "comment_at": None, "at": at, "praise": None,
            "praise_counted": False, "topics": topics, "tagger_version": "bench"}


def median_s(run) -> tuple[float, object]:
    times, result = [], None
    for _ in range(ROUNDS):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3), result


def main() -> int:
    profile = local_servers().profile("test")
    settings = Settings(mongo_uri=profile.mongo_uri, mongo_db=f"bench_centre_{uuid.uuid4().hex[:8]}")
    registry = load_registry(None)
    codes = sorted(registry.codes())
    report: dict = {"machine": f"{os.cpu_count()} cores", "load_average_at_start": os.getloadavg(),
                    "comments": COMMENTS, "days": DAYS}
    tagger = default_tagger()
    corpus = texts()
    started = time.perf_counter()
    tags = [tagger.tag(t) for t in corpus]
    elapsed = time.perf_counter() - started
    report["tagging"] = {"seconds": round(elapsed, 2), "comments_per_s": round(COMMENTS / elapsed)}
    say(f"tagged {COMMENTS} comments in {elapsed:.1f} s")

    # a longer socket timeout than the services' (10 s): ageing writes thousands of documents per request
    db = MongoClient(settings.mongo_uri, socketTimeoutMS=120_000)[settings.mongo_db]
    store = FeedbackStore(db.notify_feedback)
    store.ensure_indexes()
    try:
        rng = random.Random(7)
        docs = [document(i, t, tags[i], codes, rng) for i, t in enumerate(corpus)]
        started = time.perf_counter()
        for k in range(0, len(docs), 2000):
            store.docs.insert_many(docs[k:k + 2000], ordered=False)
        report["fill_s"] = round(time.perf_counter() - started, 1)
        say(f"filled in {report['fill_s']} s; ageing")
        # Aged as notify's store ages: days of documents deleted by the indexed `day` (as notify's expiry does)
        # and written again under new ids, leaving dead rows and churned indexes behind.
        churn_days = {(LAST - timedelta(days=k)).isoformat() for k in range(0, DAYS, 3)}
        again = [dict(d, _id=d["_id"] + "-again") for d in docs if d["day"] in churn_days]
        for day in sorted(churn_days):
            store.docs.delete_many({"day": day})
        for k in range(0, len(again), 2000):
            store.docs.insert_many(again[k:k + 2000], ordered=False)
        report["store_documents"] = store.docs.count_documents({})

        def query(**args):
            return parse_query({"to": LAST.isoformat(), **args}, registry, LAST)

        cases = {
            "search 'รอนาน', 30 days, first page of 50": lambda: search(store, registry, query(q="รอนาน"), 50),
            "search with no match, 60 days (reads every comment)":
                lambda: search(store, registry, query(q="ไม่มีคำนี้เลยจริงๆ", **{"from": (LAST - timedelta(
                    days=DAYS - 1)).isoformat()}), 50),
            "search one district, 60 days": lambda: search(store, registry, query(district=codes[5], **{
                "from": (LAST - timedelta(days=DAYS - 1)).isoformat()}), 50),
            "topic counts, 30 days (every comment of the period)":
                lambda: summarise((d for d in documents(store, query()) if matcher(query(), registry)(d)), registry),
        }
        report["cases_s"] = {}
        for name, run in cases.items():
            seconds, _ = median_s(run)
            report["cases_s"][name] = seconds
            say(f"{name}: {seconds} s")
    finally:
        db.client.drop_database(settings.mongo_db)
    report["load_average_at_end"] = os.getloadavg()
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "centre.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

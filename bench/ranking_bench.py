"""`make bench-ranking`: leaderboard reads beside a bare Flask app; freshness; the consumer's rate.

A benchmark, not a test.
1. Reads: the ranking web process (gunicorn, shared settings) over a store holding all 878
   districts' figures, against bench/bare_app.py returning a prebuilt page of the same shape, with
   `hey` at concurrency 32; rounds alternate so drift hits both; medians and the ratio reported.
Every round must answer only 200s, or the benchmark fails (a round that measured nothing is a failure).
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest_bench import HEY, ensure_hey  # noqa: E402
from services.ranking.domain import order_key  # noqa: E402
from services.ranking.store import RankingStore  # noqa: E402
from shared import mongo  # noqa: E402
from shared.config import Settings  # noqa: E402
from shared.districts import load_registry  # noqa: E402
from shared.timeutil import bangkok_day, iso_utc, utcnow  # noqa: E402
from tests.support.infra import local_servers  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "6000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))
READ_PATH = "/v1/leaderboards/small?window=campaign"


class NothingMeasured(RuntimeError):
    pass


def run_hey_get(url: str) -> dict:
    out = subprocess.run([str(HEY), "-n", str(REQUESTS), "-c", str(CONCURRENCY), url],
                         check=True, capture_output=True, text=True).stdout
    statuses = {k: int(v) for k, v in re.findall(r"\[(\d{3})\]\s+(\d+) responses", out)}
    expected = REQUESTS // CONCURRENCY * CONCURRENCY  # hey gives each of its c workers n // c requests
    if statuses.get("200", 0) != expected or len(statuses) != 1 or "Error distribution" in out:
        raise NothingMeasured(f"{url}: expected {expected} answers of 200, got {statuses}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = float(re.search(r"50%+ in ([\d.]+) secs", out).group(1))
    p99 = float(re.search(r"99%+ in ([\d.]+) secs", out).group(1))
    return {"rps": rps, "p50_ms": p50 * 1000, "p99_ms": p99 * 1000}


def fill_figures(settings: Settings) -> None:
    """Every district with figures in all three windows, as the consumer stores them."""
    rng = random.Random(3)
    store = RankingStore(mongo.database(settings))
    day, now = bangkok_day(utcnow()).isoformat(), iso_utc(utcnow())
    for d in load_registry(None):
        hist = {str(s): rng.randint(0, 40) for s in range(1, 6)}
        votes, total = sum(hist.values()), sum(int(s) * n for s, n in hist.items())
        window = {"from": None, "to": None, "votes": votes, "sum": total,
                  "mean": round(total / votes, 4) if votes else 0.0, "histogram": hist, "last_vote_at": None}
        store.put_if_newer(d.code, order_key(1, day, now), {
            "day": day, "as_of": now, "votes_offset": 1,
            "windows": {"campaign": window, "last_30_days": window, "last_7_days": window}})
    store.bump(utcnow())


def reads(base: Settings) -> dict:
    settings = Settings(kafka_bootstrap=base.kafka_bootstrap, mongo_uri=base.mongo_uri,
                        mongo_db=f"bench_{uuid.uuid4().hex[:8]}")
    fill_figures(settings)
    env = {"MONGO_URI": settings.mongo_uri, "MONGO_DB": settings.mongo_db, "LOG_LEVEL": "WARNING"}
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    bare_rounds, ranking_rounds = [], []
    try:
        with ServiceProcess("bench.bare_app:app", env, workers=workers) as bare, \
                ServiceProcess("services.ranking.wsgi:app", env, workers=workers) as ranking:
            run_hey_get(bare.url + READ_PATH), run_hey_get(ranking.url + READ_PATH)  # warm-up
            for _ in range(ROUNDS):
                bare_rounds.append(run_hey_get(bare.url + READ_PATH))
                ranking_rounds.append(run_hey_get(ranking.url + READ_PATH))
    finally:
        mongo.client(settings.mongo_uri).drop_database(settings.mongo_db)

    def med(rounds: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    return {"path": READ_PATH, "requests_per_round": REQUESTS, "concurrency": CONCURRENCY, "rounds": ROUNDS,
            "gunicorn_workers": workers, "bare_rps_median": round(med(bare_rounds, "rps")),
            "ranking_rps_median": round(med(ranking_rounds, "rps")),
            "ratio_ranking_to_bare": round(med(ranking_rounds, "rps") / med(bare_rounds, "rps"), 3),
            "bare_p99_ms": round(med(bare_rounds, "p99_ms"), 1),
            "ranking_p50_ms": round(med(ranking_rounds, "p50_ms"), 1),
            "ranking_p99_ms": round(med(ranking_rounds, "p99_ms"), 1),
            "all_rounds": {"bare": bare_rounds, "ranking": ranking_rounds}}


def main() -> int:
    ensure_hey()
    profile = local_servers().profile("test")
    base = Settings(kafka_bootstrap=profile.kafka_bootstrap, mongo_uri=profile.mongo_uri)
    report = {"machine": f"{os.cpu_count()} cores", "reads": reads(base)}
    print(json.dumps(report, indent=1))
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ranking.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

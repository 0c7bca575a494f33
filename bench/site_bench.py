"""`make bench-site`: the public website's home and district pages beside a bare Flask app, on a fresh
and on an aged store, in the same run.

A benchmark, not a test. For each store, ranking's web process (gunicorn, the shared settings) serves
the site over a seeded campaign: fresh = every district's figures after two days; aged = a campaign
that has lived 61 days (549 daily snapshots with their closing tallies, the 60-day trends, one closed
award). `hey` at concurrency 32 GETs `/` and `/ranking/district/3706`, rounds alternating with
bench/bare_app.py's `/site` (a prebuilt HTML page of the home page's size) so drift hits all of them;
medians of the rounds, the ratio to the bare app and p99 are reported (aim: ≥ 0.5 × bare, p99 ≤ 50 ms).
Pages are served from the per-view cache between changes, as they are between vote batches; a round
with a non-200 answer fails the run (bench/ranking_bench.py's `run_hey_get`).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest_bench import build_tools  # noqa: E402
from bench.ranking_bench import CONCURRENCY, REQUESTS, ROUNDS, run_hey_get, say  # noqa: E402
from services.ranking.config import formula_from_env  # noqa: E402
from services.ranking.store import RankingStore  # noqa: E402
from shared import mongo  # noqa: E402
from shared.config import Settings  # noqa: E402
from shared.districts import load_registry  # noqa: E402
from shared.timeutil import bangkok_day, utcnow  # noqa: E402
from tests.support.infra import local_servers  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402
from tests.support.site_data import seed_campaign  # noqa: E402

PAGES = {"home": "/", "district": "/ranking/district/3706"}
STORES = {"fresh": 2, "aged": 61}  # days of campaign seeded


def measure(base: Settings, days: int) -> dict:
    settings = Settings(kafka_bootstrap=base.kafka_bootstrap, mongo_uri=base.mongo_uri,
                        mongo_db=f"bench_site_{uuid.uuid4().hex[:8]}")
    seed_campaign(RankingStore(mongo.database(settings)), load_registry(), formula_from_env(os.environ),
                  bangkok_day(utcnow()), days=days, award="bench" if days > 2 else None, now=utcnow())
    env = {"MONGO_URI": settings.mongo_uri, "MONGO_DB": settings.mongo_db, "LOG_LEVEL": "WARNING",
           "PUBLIC_BASE_URL": "https://amphoesangsook.example"}
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    rounds: dict[str, list[dict]] = {"bare": [], **{name: [] for name in PAGES}}
    try:
        with ServiceProcess("bench.bare_app:app", env, workers=workers) as bare, \
                ServiceProcess("services.ranking.wsgi:app", env, workers=workers) as site:
            run_hey_get(bare.url + "/site")  # warm-up: every worker has its view and its cached pages
            for path in PAGES.values():
                run_hey_get(site.url + path)
            for n in range(ROUNDS):
                rounds["bare"].append(run_hey_get(bare.url + "/site"))
                for name, path in PAGES.items():
                    rounds[name].append(run_hey_get(site.url + path))
                say(f"  round {n + 1}: " + ", ".join(f"{k} {v[-1]['rps']:.0f}/s p99 {v[-1]['p99_ms']:.0f} ms"
                                                    for k, v in rounds.items()))
    finally:
        mongo.client(settings.mongo_uri).drop_database(settings.mongo_db)

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in rounds[name])

    out: dict = {"days_seeded": days, "bare_rps_median": round(med("bare", "rps")),
                 "bare_p99_ms": round(med("bare", "p99_ms"), 1)}
    for name in PAGES:
        out[name] = {"path": PAGES[name], "rps_median": round(med(name, "rps")),
                     "ratio_to_bare": round(med(name, "rps") / med("bare", "rps"), 3),
                     "p50_ms": round(med(name, "p50_ms"), 1), "p99_ms": round(med(name, "p99_ms"), 1)}
    out["all_rounds"] = rounds
    return out


def main() -> int:
    build_tools()
    profile = local_servers().profile("test")
    base = Settings(kafka_bootstrap=profile.kafka_bootstrap, mongo_uri=profile.mongo_uri)
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    report: dict = {"machine": f"{os.cpu_count()} cores", "requests_per_round": REQUESTS, "concurrency": CONCURRENCY,
                    "rounds": ROUNDS, "load_average_at_start": os.getloadavg()}
    for store, days in STORES.items():
        say(f"{store} store ({days} days of campaign): home and district pages beside the bare app")
        report[store] = measure(base, days)
        report[f"load_average_after_{store}"] = os.getloadavg()
        (out / "site.json").write_text(json.dumps(report, indent=1))
    for name in PAGES:
        report[f"{name}_aged_to_fresh_rps"] = round(report["aged"][name]["rps_median"]
                                                    / report["fresh"][name]["rps_median"], 3)
    print(json.dumps({k: v for k, v in report.items() if k not in ("fresh", "aged")}
                     | {s: {k: v for k, v in report[s].items() if k != "all_rounds"} for s in STORES}, indent=1))
    (out / "site.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

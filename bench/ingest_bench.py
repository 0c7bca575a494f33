"""`make bench-ingest`: ingest throughput and latency beside a bare Flask app, in the same run.

A benchmark, not a test. Both apps run under the same gunicorn settings (shared.gunicorn_conf)
on this machine, with the load generator `hey` (built from the Go module proxy) on the same
machine. Rounds alternate bare/ingest so drift hits both; medians are reported.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared import kafka  # noqa: E402
from shared.config import Settings, Topics  # noqa: E402
from tests.support.infra import local_servers  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402

HEY = ROOT / "var" / "cache" / "bin" / "hey"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "6000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))
BATCHES = int(os.environ.get("BENCH_BATCHES", "60"))
KEY = "bench-kiosk-key"


def ensure_hey() -> None:
    if not HEY.exists():
        HEY.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["go", "install", "github.com/rakyll/hey@v0.1.4"], check=True,
                       env={**os.environ, "GOBIN": str(HEY.parent), "GOFLAGS": "-buildvcs=false"})


def run_hey(url: str) -> dict:
    body = json.dumps({"district_code": "3706", "score": 5, "comment": "บริการรวดเร็ว เจ้าหน้าที่สุภาพ",
                       "service": "id_card"}, ensure_ascii=False)
    out = subprocess.run(
        [str(HEY), "-n", str(REQUESTS), "-c", str(CONCURRENCY), "-m", "POST", "-T", "application/json",
         "-H", f"Authorization: Bearer {KEY}", "-d", body, url + "/v1/votes"],
        check=True, capture_output=True, text=True,
    ).stdout
    statuses = dict(re.findall(r"\[(\d{3})\]\s+(\d+) responses", out))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = float(re.search(r"50%+ in ([\d.]+) secs", out).group(1))
    p99 = float(re.search(r"99%+ in ([\d.]+) secs", out).group(1))
    return {"rps": rps, "p50_ms": p50 * 1000, "p99_ms": p99 * 1000, "statuses": statuses}


def run_batches(url: str) -> float:
    session = requests.Session()
    votes = [{"district_code": code, "score": i % 5 + 1, "comment": "ดีมาก" if i % 3 else ""}
             for i, code in enumerate(["3706", "4408", "4712", "5001", "1301"] * 100)]
    payload = json.dumps({"votes": votes}, ensure_ascii=False).encode()
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}

    def post(_: int) -> int:
        r = session.post(url + "/v1/votes/batch", data=payload, headers=headers, timeout=60)
        r.raise_for_status()
        return r.json()["accepted"]

    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        accepted = sum(pool.map(post, range(BATCHES)))
    elapsed = time.perf_counter() - started
    assert accepted == BATCHES * 500, accepted
    return accepted / elapsed


def main() -> int:
    ensure_hey()
    profile = local_servers().profile("test")
    tag = uuid.uuid4().hex[:8]
    settings = Settings(kafka_bootstrap=profile.kafka_bootstrap, mongo_uri=profile.mongo_uri,
                        mongo_db=f"bench_{tag}", topics=Topics(votes=f"bench.votes.{tag}"))
    kafka.ensure_topics(settings)
    env = {"KAFKA_BOOTSTRAP": settings.kafka_bootstrap, "MONGO_URI": settings.mongo_uri,
           "MONGO_DB": settings.mongo_db, "TOPIC_VOTES": settings.topics.votes,
           "CHANNEL_KEYS": json.dumps({"kiosk": KEY}), "VOTER_HMAC_SECRET": "bench", "LOG_LEVEL": "WARNING",
           "PUBLIC_BASE_URL": "https://amphoesangsook.example"}
    workers = os.environ.get("BENCH_WORKERS", "2")
    bare_rounds, ingest_rounds, batch_rates = [], [], []
    with ServiceProcess("bench.bare_app:app", env, workers=int(workers)) as bare, \
            ServiceProcess("services.ingest.wsgi:app", env, workers=int(workers)) as ingest:
        run_hey(bare.url), run_hey(ingest.url)  # warm-up: connections, producer metadata
        for _ in range(ROUNDS):
            bare_rounds.append(run_hey(bare.url))
            ingest_rounds.append(run_hey(ingest.url))
            batch_rates.append(run_batches(ingest.url))

    def med(rounds: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    result = {
        "machine": f"{os.cpu_count()} cores", "gunicorn_workers": int(workers), "threads": 16,
        "requests_per_round": REQUESTS, "concurrency": CONCURRENCY, "rounds": ROUNDS,
        "bare_rps_median": round(med(bare_rounds, "rps")),
        "ingest_rps_median": round(med(ingest_rounds, "rps")),
        "ratio_ingest_to_bare": round(med(ingest_rounds, "rps") / med(bare_rounds, "rps"), 3),
        "bare_p50_ms": round(med(bare_rounds, "p50_ms"), 1), "bare_p99_ms": round(med(bare_rounds, "p99_ms"), 1),
        "ingest_p50_ms": round(med(ingest_rounds, "p50_ms"), 1),
        "ingest_p99_ms": round(med(ingest_rounds, "p99_ms"), 1),
        "batch_votes_per_s_median": round(statistics.median(batch_rates)),
        "ingest_statuses": [r["statuses"] for r in ingest_rounds],
        "all_rounds": {"bare": bare_rounds, "ingest": ingest_rounds, "batch": [round(b) for b in batch_rates]},
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ingest.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make bench-scoring`: scoring throughput from a pre-filled topic and freshness at a steady rate.

1. Pre-fill a 12-partition votes topic with 200,000 votes across all 878 districts.
2. A do-nothing kafka-python consumer reads it all: the ceiling on this machine.
3. The scoring consumer process applies it from a fresh database: votes applied per second
   (and CPU seconds of the consumer, FerretDB and Kafka during the run: where the time goes).
4. Freshness: votes posted through a real ingest process at a steady 500/s (batches of 10 from 4
   threads); for each, the time from its 202 to the first scores.v1 event whose standing includes it; p50 and p95.
Figures are printed as JSON. Not a test: it asserts nothing. BENCH_PROFILE=1 profiles the consumer
(off by default: the profiler's overhead would be in the figures).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition  # noqa: E402
from kafka.errors import KafkaError  # noqa: E402

from shared import kafka, mongo  # noqa: E402
from shared.config import Settings, Topics  # noqa: E402
from shared.districts import load_registry  # noqa: E402
from tests.integration.ingest_env import AUTH, ingest_env  # noqa: E402
from tests.support.infra import local_servers  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402
from tests.support.scoring import ConsumerProcess, make_vote, now_utc, producer, scoring_env  # noqa: E402

VOTES = int(os.environ.get("BENCH_VOTES", "200000"))
RATE = int(os.environ.get("BENCH_RATE", "500"))
FRESH_SECONDS = int(os.environ.get("BENCH_FRESH_SECONDS", "20"))
POST_BATCH = int(os.environ.get("BENCH_POST_BATCH", "10"))  # votes per /v1/votes/batch request
POSTERS = int(os.environ.get("BENCH_POSTERS", "4"))  # posting threads
PROFILE = os.environ.get("BENCH_PROFILE") == "1"  # opt-in: cProfile the consumer (slows it down)


def fresh_settings(base: Settings) -> Settings:
    tag = uuid.uuid4().hex[:8]
    return replace(base, mongo_db=f"bench_{tag}", votes_partitions=12,
                   topics=Topics(f"votes.v1.b{tag}", f"votes.dlq.b{tag}", f"scores.v1.b{tag}", f"comments.v1.b{tag}"))


def cpu_seconds(pid: int | None) -> float:
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def prefill(s: Settings, codes: list[str]) -> None:
    rng = random.Random(1)
    p = producer(s)
    now = now_utc()
    for i in range(VOTES):
        v = make_vote(rng, now, codes=codes)
        p.send(s.topics.votes, key=v.key, value=v.to_bytes())
        if i % 20000 == 0:
            p.flush()
    p.flush()
    p.close()


def plain_read_rate(s: Settings) -> float:
    c = KafkaConsumer(bootstrap_servers=s.kafka_bootstrap, group_id=None, enable_auto_commit=False,
                      max_partition_fetch_bytes=8 * 1024 * 1024)
    parts = [TopicPartition(s.topics.votes, p) for p in range(s.votes_partitions)]
    c.assign(parts)
    c.seek_to_beginning(*parts)
    end = c.end_offsets(parts)
    n, started = 0, time.perf_counter()
    while any(c.position(tp) < end[tp] for tp in parts):
        for records in c.poll(timeout_ms=500, max_records=20000).values():
            n += len(records)
    elapsed = time.perf_counter() - started
    c.close()
    return n / elapsed


def committed(s: Settings, group: str) -> int:
    """Votes the group has committed; 0 while its coordinator is still being elected (a fresh broker)."""
    admin = KafkaAdminClient(bootstrap_servers=s.kafka_bootstrap)
    try:
        offsets = admin.list_group_offsets(group).get(group, {})
        return sum(o.offset for tp, o in offsets.items() if tp.topic == s.topics.votes and o.offset > 0)
    except KafkaError:
        return 0
    finally:
        admin.close()


def scoring_rate(s: Settings, servers, profile) -> dict:
    state = tempfile.mkdtemp(prefix="bench-scoring-")
    # cProfile inflates Python time several-fold: figures are measured without it unless asked for.
    extra = {"SCORING_PROFILE": str(Path(state) / "consumer.prof")} if PROFILE else {}
    env = scoring_env(s, state, **extra)
    group = env["SCORING_GROUP_ID"]
    ferret, broker = servers.running_pid(profile, "ferretdb"), servers.running_pid(profile, "kafka")
    before = {"ferretdb": cpu_seconds(ferret), "kafka": cpu_seconds(broker)}
    consumer = ConsumerProcess(env).start()
    try:
        started = time.perf_counter()
        first_at = None
        while True:
            done = committed(s, group)
            if done and first_at is None:
                first_at = (time.perf_counter(), done)
            if done >= VOTES:
                break
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
        consumer_cpu = cpu_seconds(consumer.proc.pid)
    finally:
        consumer.stop()  # SIGTERM: the consumer writes its profile
    after = {"ferretdb": cpu_seconds(ferret), "kafka": cpu_seconds(broker)}
    steady = (VOTES - first_at[1]) / (time.perf_counter() - first_at[0]) if first_at else None
    return {"votes_per_s": VOTES / elapsed, "votes_per_s_after_first_commit": steady, "seconds": elapsed,
            "cpu_seconds": {"scoring_consumer": consumer_cpu, **{k: after[k] - before[k] for k in after}},
            "profile": extra.get("SCORING_PROFILE")}


def freshness(s: Settings, codes: list[str]) -> dict:
    state = tempfile.mkdtemp(prefix="bench-fresh-")
    senv = scoring_env(s, state)
    latencies: list[float] = []
    acked_at: dict[str, list[tuple[int, float]]] = {c: [] for c in codes}
    counts = dict.fromkeys(codes, 0)
    seen = dict.fromkeys(codes, 0)
    lock = threading.Lock()
    stop = threading.Event()

    def tail() -> None:
        c = KafkaConsumer(s.topics.scores, bootstrap_servers=s.kafka_bootstrap, group_id=None,
                          auto_offset_reset="latest")
        while not stop.is_set():
            for records in c.poll(timeout_ms=100).values():
                t = time.perf_counter()
                for r in records:
                    body = json.loads(r.value)
                    d, n = body["district_code"], body["windows"]["campaign"]["votes"]
                    with lock:
                        pending = acked_at.get(d, [])
                        while pending and pending[0][0] <= n:
                            latencies.append(t - pending.pop(0)[1])
                        seen[d] = max(seen[d], n)
        c.close()

    def post(worker: int, workers: int) -> None:
        """Small batches on a fixed schedule: one HTTP request per vote could not keep 500/s on 2 cores
        beside everything else. Each vote's ack time is its batch's response (the 202 inside it)."""
        mine = codes[worker::workers]
        session = requests.Session()
        interval = workers * POST_BATCH / RATE
        next_at = time.perf_counter()
        end = next_at + FRESH_SECONDS
        i = 0
        while time.perf_counter() < end:
            batch = []
            for _ in range(POST_BATCH):
                batch.append({"district_code": mine[i % len(mine)], "score": i % 5 + 1})
                i += 1
            r = session.post(ingest.url + "/v1/votes/batch", json={"votes": batch}, headers=AUTH, timeout=10)
            t = time.perf_counter()
            if r.status_code == 200:
                with lock:
                    for item, result in zip(batch, r.json()["results"], strict=True):
                        if result["status"] == 202:
                            d = item["district_code"]
                            counts[d] += 1
                            acked_at[d].append((counts[d], t))
            next_at += interval
            time.sleep(max(0.0, next_at - time.perf_counter()))

    with ServiceProcess("services.ingest.wsgi:app", ingest_env(s), workers=2, threads=16) as ingest, \
            ConsumerProcess(senv):
        time.sleep(5)  # let the consumer join the group
        tailer = threading.Thread(target=tail)
        tailer.start()
        time.sleep(2)
        workers = POSTERS
        posters = [threading.Thread(target=post, args=(w, workers)) for w in range(workers)]
        started = time.perf_counter()
        for t in posters:
            t.start()
        for t in posters:
            t.join()
        sent = sum(counts.values())
        rate = sent / (time.perf_counter() - started)
        time.sleep(5)
        stop.set()
        tailer.join()
    latencies.sort()
    return {"posted": sent, "post_rate_per_s": round(rate, 1), "post_batch": POST_BATCH, "posters": POSTERS,
            "measured": len(latencies),
            "p50_s": round(statistics.median(latencies), 3) if latencies else None,
            "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3) if latencies else None}


def main() -> int:
    servers = local_servers()
    profile = servers.profile("test")
    base = Settings(kafka_bootstrap=profile.kafka_bootstrap, mongo_uri=profile.mongo_uri)
    codes = sorted(d.code for d in load_registry(None))
    s = fresh_settings(base)
    kafka.ensure_topics(s)
    t = time.perf_counter()
    prefill(s, codes)
    report: dict = {"votes": VOTES, "districts": len(codes), "partitions": s.votes_partitions,
                    "prefill_s": round(time.perf_counter() - t, 1)}
    reads = [plain_read_rate(s) for _ in range(3)]
    report["plain_read_per_s_median"] = round(statistics.median(reads))
    runs = []
    for _ in range(int(os.environ.get("BENCH_RUNS", "3"))):
        s_run = replace(s, mongo_db=f"bench_{uuid.uuid4().hex[:8]}")
        runs.append(scoring_rate(s_run, servers, profile))
        mongo.client(s.mongo_uri).drop_database(s_run.mongo_db)
    report["scoring_runs"] = runs
    median = statistics.median(r["votes_per_s"] for r in runs)
    report["scoring_votes_per_s_median"] = round(median)
    report["ratio_to_plain_read"] = round(median / report["plain_read_per_s_median"], 3)
    fresh_runs = []
    for _ in range(int(os.environ.get("BENCH_FRESH_RUNS", "3"))):
        s_fresh = fresh_settings(base)
        kafka.ensure_topics(s_fresh)
        fresh_runs.append(freshness(s_fresh, codes))
        mongo.client(s.mongo_uri).drop_database(s_fresh.mongo_db)
    report["freshness_runs"] = fresh_runs
    measured = [r for r in fresh_runs if r["p50_s"] is not None]
    report["freshness_median"] = {k: statistics.median(r[k] for r in measured) if measured else None
                                  for k in ("post_rate_per_s", "p50_s", "p95_s")}
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

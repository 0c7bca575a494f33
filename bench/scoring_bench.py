"""`make bench-scoring`: scoring throughput and freshness, on a fresh and on an aged store.

1. Pre-fill a 12-partition votes topic with 200,000 votes across all 878 districts (the last 3
   days), and an ageing topic: 56 days of history before them, 2 votes per district per day.
2. A do-nothing kafka-python consumer reads the 200,000: the ceiling on this machine.
3. The scoring consumer process applies them, on a fresh database and on an aged one (the real
   consumer first applied the 56 days of history to it: buckets, votes and standings in scoring's
   layout): votes applied per second, and CPU seconds of the consumer, FerretDB, PostgreSQL and
   Kafka during the run (where the time goes).
4. Freshness, fresh and aged: votes posted through a real ingest process at a steady 500/s
   (batches of 10 from 4 threads); for each, the time from its 202 to the first scores.v1 event
   whose standing includes it; p50 and p95. A run that measured no vote is a failure: the
   benchmark stops with its diagnostics, it is never left out of a median.
Figures are printed as JSON and a fresh/aged table. Not a test. BENCH_PROFILE=1 profiles the
consumer (off by default: the profiler's overhead would be in the figures).
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
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from kafka import KafkaConsumer, TopicPartition  # noqa: E402

from services.scoring.store import ScoringStore  # noqa: E402
from shared import kafka, mongo  # noqa: E402
from shared.config import Settings, Topics  # noqa: E402
from shared.districts import load_registry  # noqa: E402
from shared.events import VoteEvent  # noqa: E402
from tests.integration.ingest_env import AUTH, ingest_env  # noqa: E402
from tests.support.infra import local_servers  # noqa: E402
from tests.support.kafka_read import committed_on  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402
from tests.support.scoring import ConsumerProcess, make_vote, now_utc, producer, scoring_env  # noqa: E402

VOTES = int(os.environ.get("BENCH_VOTES", "200000"))
HISTORY_DAYS = int(os.environ.get("BENCH_HISTORY_DAYS", "56"))
HISTORY_PER_DISTRICT_DAY = int(os.environ.get("BENCH_HISTORY_PER_DAY", "2"))
RATE = int(os.environ.get("BENCH_RATE", "500"))
FRESH_SECONDS = int(os.environ.get("BENCH_FRESH_SECONDS", "20"))
POST_BATCH = int(os.environ.get("BENCH_POST_BATCH", "10"))  # votes per /v1/votes/batch request
POSTERS = int(os.environ.get("BENCH_POSTERS", "4"))  # posting threads
PROFILE = os.environ.get("BENCH_PROFILE") == "1"  # opt-in: cProfile the consumer (slows it down)


def fresh_settings(base: Settings) -> Settings:
    tag = uuid.uuid4().hex[:8]
    return replace(base, mongo_db=f"bench_{tag}", votes_partitions=12,
                   topics=Topics(f"votes.v1.b{tag}", f"votes.dlq.b{tag}", f"scores.v1.b{tag}", f"comments.v1.b{tag}",
                                 f"ballots.v1.b{tag}"))


def cpu_seconds(pid: int | None, children: bool = False) -> float:
    """CPU seconds of a process (and, with `children`, of its live children: PostgreSQL's backends)."""
    if not pid:
        return 0.0

    def one(p: int) -> float:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")

    total = one(pid)
    if children:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    total += one(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                continue
    return total


def thread_cpu_seconds(pid: int, tid: int) -> float:
    """CPU seconds of one thread of a process: the main thread against the clients' own threads (the
    Kafka producer's sender, the consumer's heartbeat), which a profiler of the main thread never sees."""
    try:
        fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def prefill(s: Settings, codes: list[str], n: int | None = None) -> None:
    """`n` votes (BENCH_VOTES) over the last 3 days across `codes`."""
    rng = random.Random(1)
    p = producer(s)
    now = now_utc()
    for i in range(VOTES if n is None else n):
        v = make_vote(rng, now, codes=codes)
        p.send(s.topics.votes, key=v.key, value=v.to_bytes())
        if i % 20000 == 0:
            p.flush()
    p.flush()
    p.close()


def prefill_history(s: Settings, codes: list[str], *, days: int = HISTORY_DAYS, first_day: int = 4,
                    per_day: int = HISTORY_PER_DISTRICT_DAY) -> int:
    """`days` days of history ending `first_day` days ago, every district every day: by default the 56
    days before the measured votes (which span the last 3 days)."""
    rng = random.Random(2)
    p = producer(s)
    today = now_utc().replace(hour=5, minute=0, second=0, microsecond=0)
    n = 0
    for day in range(first_day, first_day + days):
        for code in codes:
            for _ in range(per_day):
                at = today - timedelta(days=day, seconds=rng.randint(0, 10 * 3600))
                v = VoteEvent(uuid.uuid4().hex, code, rng.randint(1, 5), "", None, None, "kiosk", None, at, at)
                p.send(s.topics.votes, key=v.key, value=v.to_bytes())
                n += 1
        p.flush()
    p.close()
    return n


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


def consume_all(s: Settings, total: int, extra: dict | None = None, timeout_s: float = 900,
                cwd: Path = ROOT, first_commit: list | None = None) -> tuple[float, dict]:
    """Run the scoring consumer on s.topics.votes until it committed `total` votes; (seconds, cpu).
    `cwd`: the checkout whose scoring code runs (another commit's worktree, for a before/after).
    `first_commit` receives (seconds, votes) of the first commit seen: the start-up before it is the
    same whatever a vote costs, so a before/after compares the rate after it too."""
    state = tempfile.mkdtemp(prefix="bench-scoring-")
    env = scoring_env(s, state, SCORING_GROUP_ID=f"bench-{uuid.uuid4().hex[:8]}", **(extra or {}))
    group = env["SCORING_GROUP_ID"]
    consumer = ConsumerProcess(env, cwd=cwd).start()
    try:
        started = time.perf_counter()
        while (done := committed_on(s.kafka_bootstrap, group, s.topics.votes)) < total:
            if done and first_commit is not None and not first_commit:
                first_commit.append((time.perf_counter() - started, done))
            if consumer.proc.poll() is not None or time.perf_counter() - started > timeout_s:
                raise SystemExit(f"bench-scoring: the consumer stopped at {done}/{total} votes:\n{consumer.output()}")
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
        cpu = {"scoring_consumer": cpu_seconds(consumer.proc.pid),
               "scoring_consumer_main_thread": thread_cpu_seconds(consumer.proc.pid, consumer.proc.pid)}
    finally:
        consumer.stop()  # SIGTERM: the consumer writes its profile
    return elapsed, cpu


def age_store(s: Settings, history: Settings, history_votes: int) -> float:
    """The real consumer applies the 56 days of history to database s.mongo_db (scoring's own layout)."""
    elapsed, _ = consume_all(replace(history, mongo_db=s.mongo_db), history_votes)
    return elapsed


def scoring_rate(s: Settings, servers, profile, total: int | None = None, cwd: Path = ROOT,
                 profiled: bool = PROFILE) -> dict:
    """The consumer (of checkout `cwd`) applies the `total` votes pre-filled in s.topics.votes: votes/s and
    CPU seconds of the consumer and of the servers."""
    total = VOTES if total is None else total
    state = tempfile.mkdtemp(prefix="bench-scoring-")
    # cProfile inflates Python time several-fold: figures are measured without it unless asked for.
    extra = {"SCORING_PROFILE": str(Path(state) / "consumer.prof")} if profiled else {}
    pids = {"ferretdb": servers.running_pid(profile, "ferretdb"), "kafka": servers.running_pid(profile, "kafka"),
            "postgresql": servers.running_pid(profile, "postgresql")}
    before = {k: cpu_seconds(pid, children=k == "postgresql") for k, pid in pids.items()}
    first: list = []
    elapsed, cpu = consume_all(s, total, extra, cwd=cwd, first_commit=first)
    after = {k: cpu_seconds(pid, children=k == "postgresql") for k, pid in pids.items()}
    steady = (total - first[0][1]) / (elapsed - first[0][0]) if first and elapsed > first[0][0] else None
    return {"votes_per_s": total / elapsed, "seconds": round(elapsed, 1),
            "after_first_commit_votes_per_s": round(steady) if steady else None,
            "first_commit_s": round(first[0][0], 1) if first else None,
            "cpu_seconds": {**cpu, **{k: round(after[k] - before[k], 1) for k in after}},
            "profile": extra.get("SCORING_PROFILE")}


def campaign_votes(s: Settings) -> dict[str, int]:
    """Votes per district already in the standings (the aged store's history)."""
    standings = ScoringStore(mongo.database(s)).all_standings()
    return {d: st.windows["campaign"]["votes"] for d, st in standings.items()}


def freshness(s: Settings, codes: list[str]) -> dict:
    """Post at a steady rate; for each acknowledged vote, the time until a scores.v1 event counts it.

    The consumer is warmed up first (one vote must come out as an event before the clock starts:
    a consumer still joining its group measured nothing in earlier versions), and the run waits
    until every acknowledged vote has been seen (or 60 s), instead of a fixed 5 s.
    """
    state = tempfile.mkdtemp(prefix="bench-fresh-")
    senv = scoring_env(s, state)
    baseline = campaign_votes(s)
    latencies: list[float] = []
    acked_at: dict[str, list[tuple[int, float]]] = {c: [] for c in codes}
    counts = {c: baseline.get(c, 0) for c in codes}
    seen = dict(counts)
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []

    def tail() -> None:
        try:
            c = KafkaConsumer(s.topics.scores, bootstrap_servers=s.kafka_bootstrap, group_id=None,
                              auto_offset_reset="earliest")
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
                            seen[d] = max(seen.get(d, 0), n)
            c.close()
        except BaseException as exc:  # a dead tailer must fail the run, not measure nothing
            errors.append(exc)

    def post_batch(session: requests.Session, batch: list[dict], record: bool) -> None:
        r = session.post(ingest.url + "/v1/votes/batch", json={"votes": batch}, headers=AUTH, timeout=10)
        t = time.perf_counter()
        if r.status_code != 200:
            return
        with lock:
            for item, result in zip(batch, r.json()["results"], strict=True):
                if result["status"] == 202:
                    d = item["district_code"]
                    counts[d] += 1
                    if record:
                        acked_at[d].append((counts[d], t))

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
            post_batch(session, batch, record=True)
            next_at += interval
            time.sleep(max(0.0, next_at - time.perf_counter()))

    def wait(condition, timeout_s: float) -> bool:
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            with lock:
                if condition():
                    return True
            if errors:
                raise SystemExit(f"bench-scoring: the scores.v1 reader failed: {errors[0]!r}")
            time.sleep(0.1)
        return False

    with ServiceProcess("services.ingest.wsgi:app", ingest_env(s), workers=2, threads=16) as ingest, \
            ConsumerProcess(senv) as consumer:
        tailer = threading.Thread(target=tail)
        tailer.start()
        warm = codes[0]
        post_batch(requests.Session(), [{"district_code": warm, "score": 3}], record=False)
        warm_started = time.perf_counter()
        if not wait(lambda: seen.get(warm, 0) >= counts[warm], 120):
            stop.set()
            raise SystemExit("bench-scoring: the warm-up vote never came out as a scores.v1 event in 120 s:\n"
                             + consumer.output())
        warm_up_s = time.perf_counter() - warm_started
        workers = POSTERS
        posters = [threading.Thread(target=post, args=(w, workers)) for w in range(workers)]
        started = time.perf_counter()
        for t in posters:
            t.start()
        for t in posters:
            t.join()
        sent = sum(len(v) for v in acked_at.values()) + len(latencies)
        rate = sent / (time.perf_counter() - started)
        drained = wait(lambda: not any(acked_at.values()), 60)
        stop.set()
        tailer.join()
        unseen = sum(len(v) for v in acked_at.values())
        if not latencies:
            raise SystemExit(f"bench-scoring: a freshness run measured no vote ({sent} acknowledged):\n"
                             + consumer.output())
    latencies.sort()
    return {"posted": sent, "post_rate_per_s": round(rate, 1), "post_batch": POST_BATCH, "posters": POSTERS,
            "warm_up_s": round(warm_up_s, 2), "measured": len(latencies), "unseen_after_60s": unseen,
            "drained": drained,
            "p50_s": round(statistics.median(latencies), 3),
            "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3)}


def write_result(name: str, report: dict) -> Path:
    """Raw results land in var/bench/ (README, Benchmarks)."""
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_text(json.dumps(report, indent=1))
    return out / name


def main() -> int:
    servers = local_servers()
    profile = servers.profile("test")
    base = Settings(kafka_bootstrap=profile.kafka_bootstrap, mongo_uri=profile.mongo_uri)
    codes = sorted(d.code for d in load_registry(None))
    s = fresh_settings(base)
    kafka.ensure_topics(s)
    history = fresh_settings(base)
    kafka.ensure_topics(history)
    t = time.perf_counter()
    prefill(s, codes)
    history_votes = prefill_history(history, codes)
    report: dict = {"votes": VOTES, "districts": len(codes), "partitions": s.votes_partitions,
                    "history": {"days": HISTORY_DAYS, "votes": history_votes}, "load_at_start": os.getloadavg(),
                    "prefill_s": round(time.perf_counter() - t, 1)}
    reads = [plain_read_rate(s) for _ in range(3)]
    report["plain_read_per_s_median"] = round(statistics.median(reads))
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    fresh_runs = int(os.environ.get("BENCH_FRESH_RUNS", "3"))
    client = mongo.client(s.mongo_uri)
    for phase in ("fresh", "aged"):
        results: dict = {"scoring_runs": [], "freshness_runs": []}
        for _ in range(runs):
            s_run = replace(s, mongo_db=f"bench_{uuid.uuid4().hex[:8]}")
            if phase == "aged":
                results.setdefault("ageing_s", []).append(round(age_store(s_run, history, history_votes), 1))
            results["scoring_runs"].append(scoring_rate(s_run, servers, profile))
            client.drop_database(s_run.mongo_db)
        for _ in range(fresh_runs):
            s_fresh = fresh_settings(base)
            kafka.ensure_topics(s_fresh)
            if phase == "aged":
                age_store(s_fresh, history, history_votes)
            results["freshness_runs"].append(freshness(s_fresh, codes))
            client.drop_database(s_fresh.mongo_db)
        median = statistics.median(r["votes_per_s"] for r in results["scoring_runs"])
        results["scoring_votes_per_s_median"] = round(median)
        results["ratio_to_plain_read"] = round(median / report["plain_read_per_s_median"], 3)
        results["freshness_median"] = {k: statistics.median(r[k] for r in results["freshness_runs"])
                                       for k in ("post_rate_per_s", "p50_s", "p95_s")}
        report[phase] = results
    report["load_at_end"] = os.getloadavg()
    print(json.dumps(report, indent=1))
    fresh, aged = report["fresh"], report["aged"]
    rows = [("scoring votes/s (median)", fresh["scoring_votes_per_s_median"], aged["scoring_votes_per_s_median"]),
            ("ratio to do-nothing read", fresh["ratio_to_plain_read"], aged["ratio_to_plain_read"]),
            ("freshness p50 s", fresh["freshness_median"]["p50_s"], aged["freshness_median"]["p50_s"]),
            ("freshness p95 s", fresh["freshness_median"]["p95_s"], aged["freshness_median"]["p95_s"]),
            ("posted votes/s", fresh["freshness_median"]["post_rate_per_s"],
             aged["freshness_median"]["post_rate_per_s"])]
    print(f"\ndo-nothing read: {report['plain_read_per_s_median']} msg/s")
    print(f"{'figure':28} {'fresh':>10} {'aged':>10} {'aged/fresh':>10}")
    for name, a, b in rows:
        print(f"{name:28} {a:10.3f} {b:10.3f} {b / a if a else float('nan'):10.2f}")
    write_result("scoring.json", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

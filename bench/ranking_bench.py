"""`make bench-ranking`: leaderboard reads beside a bare Flask app; freshness; the consumer's rate.

A benchmark, not a test.
1. Reads: the ranking web process (gunicorn, shared settings) over a store holding all 878
   districts' figures, against bench/bare_app.py returning a prebuilt page of the same shape, with
   `hey` at concurrency 32; rounds alternate so drift hits both; medians and the ratio reported.
2. Freshness: votes posted through a real ingest at a steady 500/s (batches of 10 from 4 threads)
   flow through the scoring and ranking consumers; a reader polls the three leaderboards through
   the API; for each vote, the time from its 202 to the first poll showing its district's new vote
   count (resolution: one poll of the three boards), and the time from its 202 to the first
   scores.v1 event counting it (scoring's part of the seconds; the rest is ranking's). Also counted:
   scores.v1 events scoring published per second meanwhile (the output ranking must keep up with).
3. The ranking consumer's rate: a scores.v1 topic pre-filled with standings of all 878 districts,
   applied from a fresh database; events per second until its group has committed them all,
   against scoring's output rate measured in step 2.
A round that measured nothing (non-200 answers, no latencies, no events) fails the benchmark.

BENCH_STORE=aged (issue 24) runs each freshness round on an aged store: BENCH_HISTORY_DAYS (56) days of
history, 2 votes per district a day, applied by the real scoring consumer and then the real ranking consumer
(from the scores.v1 the history produced) into the round's database before the clock starts, as
bench/scoring_bench.py ages scoring's. Each vote's count on the board is then the district's history plus it.
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import subprocess
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
from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402

from bench.ingest_bench import HEY, build_tools, cpu_seconds  # noqa: E402
from bench.scoring_bench import consume_all, prefill_history  # noqa: E402
from services.ranking.domain import order_key  # noqa: E402
from services.ranking.store import RankingStore  # noqa: E402
from shared import kafka, mongo  # noqa: E402
from shared.config import Settings, Topics  # noqa: E402
from shared.districts import load_registry  # noqa: E402
from shared.timeutil import bangkok_day, iso_utc, utcnow  # noqa: E402
from tests.integration.ingest_env import AUTH, ingest_env  # noqa: E402
from tests.support.infra import local_servers  # noqa: E402
from tests.support.kafka_read import committed_on  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402
from tests.support.ranking import RankingConsumer, ranking_env  # noqa: E402
from tests.support.scoring import ConsumerProcess, scoring_env  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "6000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))
READ_PATH = "/v1/leaderboards/small?window=campaign"
RATE = int(os.environ.get("BENCH_RATE", "500"))
FRESH_SECONDS = int(os.environ.get("BENCH_FRESH_SECONDS", "20"))
POST_BATCH = 10
POSTERS = 16  # each posts a batch of POST_BATCH and waits: enough of them to hold RATE on a slow machine
PREFILL_EVENTS = int(os.environ.get("BENCH_SCORES_EVENTS", "50000"))
DRAIN_S = 60.0
PHASES = set(os.environ.get("BENCH_PHASES", "reads,freshness,consumer").split(","))
STORE = os.environ.get("BENCH_STORE", "fresh")  # fresh | aged: the freshness rounds' store


class NothingMeasured(RuntimeError):
    pass


def say(text: str) -> None:
    print(f"[bench-ranking] {text}", file=sys.stderr, flush=True)


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


def fresh_settings(base: Settings) -> Settings:
    tag = uuid.uuid4().hex[:8]
    return replace(base, mongo_db=f"bench_{tag}", votes_partitions=12,
                   topics=Topics(f"votes.v1.r{tag}", f"votes.dlq.r{tag}", f"scores.v1.r{tag}", f"comments.v1.r{tag}",
                                 f"ballots.v1.r{tag}"))


def freshness(s: Settings, codes: list[str]) -> dict:
    """Votes posted through ingest at RATE/s; time from each 202 to its district's count in the leaderboard API."""
    latencies: list[float] = []
    acked_at: dict[str, list[tuple[int, float]]] = {c: [] for c in codes}
    # Where the seconds go (issue 24): the same votes' time from 202 to scoring's scores.v1 event showing them.
    to_scores: list[float] = []
    acked_for_scores: dict[str, list[tuple[int, float]]] = {c: [] for c in codes}
    counts = dict.fromkeys(codes, 0)
    lock = threading.Lock()
    stop = threading.Event()
    polls = [0]
    published = [0, 0.0, 0.0]  # scores.v1 events seen, first and last time

    def read_boards(url: str) -> None:
        session = requests.Session()
        while not stop.is_set():
            for group in ("small", "medium", "large"):
                body = session.get(f"{url}/v1/leaderboards/{group}?per_page=1000", timeout=10).json()
                t = time.perf_counter()
                with lock:
                    for e in body["entries"]:
                        pending = acked_at[e["district_code"]]
                        while pending and pending[0][0] <= e["votes"]:
                            latencies.append(t - pending.pop(0)[1])
            polls[0] += 1

    def count_scores() -> None:
        c = KafkaConsumer(s.topics.scores, bootstrap_servers=s.kafka_bootstrap, group_id=None,
                          auto_offset_reset="latest")
        while not stop.is_set():
            for records in c.poll(timeout_ms=200).values():
                t = time.perf_counter()
                published[0] += len(records)
                published[1] = published[1] or t
                published[2] = t
                with lock:
                    for record in records:
                        body = json.loads(record.value)
                        pending = acked_for_scores.get(body.get("district_code"), [])
                        votes = body.get("windows", {}).get("campaign", {}).get("votes", 0)
                        while pending and pending[0][0] <= votes:
                            to_scores.append(t - pending.pop(0)[1])
        c.close()

    def post(url: str, worker: int) -> None:
        mine = codes[worker::POSTERS]
        session = requests.Session()
        interval = POSTERS * POST_BATCH / RATE
        next_at = time.perf_counter()
        end = next_at + FRESH_SECONDS
        i = 0
        while time.perf_counter() < end:
            batch = [{"district_code": mine[(i + k) % len(mine)], "score": (i + k) % 5 + 1} for k in range(POST_BATCH)]
            i += POST_BATCH
            r = session.post(url + "/v1/votes/batch", json={"votes": batch}, headers=AUTH, timeout=10)
            t = time.perf_counter()
            if r.status_code == 200:
                with lock:
                    for item, result in zip(batch, r.json()["results"], strict=True):
                        if result["status"] == 202:
                            d = item["district_code"]
                            counts[d] += 1
                            acked_at[d].append((counts[d], t))
                            acked_for_scores[d].append((counts[d], t))
            next_at += interval
            time.sleep(max(0.0, next_at - time.perf_counter()))

    renv = ranking_env(s)
    with ServiceProcess("services.ingest.wsgi:app", ingest_env(s), workers=2, threads=16) as ingest, \
            ConsumerProcess(scoring_env(s, tempfile.mkdtemp(prefix="bench-scoring-"))) as scoring, \
            RankingConsumer(renv) as ranker, \
            ServiceProcess("services.ranking.wsgi:app", renv, workers=2) as ranking:
        warm_up_s = warm_up(ingest.url, ranking.url, codes[0], [scoring, ranker])
        counts.update(board_votes(ranking.url))  # the history (aged store) and the warm-up vote
        baseline = sum(counts.values())
        pids = {"ingest": ingest.proc.pid, "scoring_consumer": scoring.proc.pid, "ranking_consumer": ranker.proc.pid,
                "ranking_web": ranking.proc.pid, **server_pids()}
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        threads = [threading.Thread(target=read_boards, args=(ranking.url,)), threading.Thread(target=count_scores)]
        for t in threads:
            t.start()
        time.sleep(1)
        posters = [threading.Thread(target=post, args=(ingest.url, w)) for w in range(POSTERS)]
        started = time.perf_counter()
        for t in posters:
            t.start()
        for t in posters:
            t.join()
        posted = sum(counts.values()) - baseline  # not the history nor the warm-up vote
        rate = posted / (time.perf_counter() - started)
        drain_until = time.perf_counter() + DRAIN_S  # until every vote is seen, or DRAIN_S at most
        while time.perf_counter() < drain_until:
            with lock:
                if not any(acked_at.values()):
                    break
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join()
        # Where the time goes: CPU seconds of each process over the posting and the drain.
        cpu = {name: round(cpu_seconds(pid) - cpu_before[name], 2) for name, pid in pids.items()}
        wall = time.perf_counter() - started
    if not latencies:
        raise NothingMeasured("no vote was seen in the leaderboards")
    latencies.sort()
    unseen = sum(len(v) for v in acked_at.values())
    span = published[2] - published[1]
    return {"posted": posted, "post_rate_per_s": round(rate, 1), "measured": len(latencies),
            "never_seen": unseen, "board_polls": polls[0],
            "p50_s": round(statistics.median(latencies), 3),
            "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
            **_scores_latency(to_scores),
            "scores_events_per_s": round(published[0] / span, 1) if span > 0 else None,
            "wall_s": round(wall, 1), "cpu_s": cpu, "warm_up_s": warm_up_s}


def _scores_latency(values: list[float]) -> dict:
    """202 -> scores.v1 (scoring's part); the rest of 202 -> board is ranking's consumer, store and view."""
    if not values:
        return {"to_scores_p50_s": None, "to_scores_p95_s": None}
    values = sorted(values)
    return {"to_scores_p50_s": round(statistics.median(values), 3),
            "to_scores_p95_s": round(values[int(0.95 * (len(values) - 1))], 3)}


def warm_up(ingest_url: str, ranking_url: str, code: str, consumers: list, timeout_s: float = 180) -> float:
    """One vote through the whole pipeline before the clock starts: both consumers have joined their groups
    and the new topics are known everywhere (on a loaded machine that takes longer than any fixed sleep)."""
    started = time.perf_counter()
    session = requests.Session()
    before = 0  # an aged store's history: the warm-up vote is the one more
    while time.perf_counter() - started < timeout_s:
        entry = session.get(f"{ranking_url}/v1/districts/{code}/rank", timeout=10)
        if entry.status_code == 200:
            before = entry.json()["windows"]["campaign"]["votes"] or 0
            break
        time.sleep(0.2)
    while True:
        r = session.post(ingest_url + "/v1/votes", json={"district_code": code, "score": 3}, headers=AUTH, timeout=10)
        if r.status_code == 202:
            break
        if time.perf_counter() - started > timeout_s:
            raise NothingMeasured(f"ingest never accepted the warm-up vote: {r.status_code} {r.text[:300]}")
        time.sleep(1)
    while time.perf_counter() - started < timeout_s:
        entry = session.get(f"{ranking_url}/v1/districts/{code}/rank", timeout=10)
        if entry.status_code == 200 and (entry.json()["windows"]["campaign"]["votes"] or 0) > before:
            return round(time.perf_counter() - started, 2)
        time.sleep(0.2)
    raise NothingMeasured("the warm-up vote never reached the leaderboard:\n"
                          + "\n".join(c.output()[-2000:] for c in consumers))


def board_votes(url: str) -> dict[str, int]:
    """Each district's campaign votes on the three boards now (an aged store's history, the warm-up vote)."""
    votes: dict[str, int] = {}
    for group in ("small", "medium", "large"):
        body = requests.get(f"{url}/v1/leaderboards/{group}?per_page=1000", timeout=30).json()
        votes.update({e["district_code"]: e["votes"] for e in body["entries"]})
    return votes


def age_store(s: Settings, base: Settings, codes: list[str]) -> dict:
    """BENCH_STORE=aged: the history applied by the real scoring consumer and then the real ranking consumer
    into s.mongo_db (their own layouts, the change log included); the round's topics stay empty."""
    history = fresh_settings(base)
    kafka.ensure_topics(history)
    started = time.perf_counter()
    votes = prefill_history(history, codes)
    aged = replace(history, mongo_db=s.mongo_db)
    scoring_s, _ = consume_all(aged, votes)
    events = end_offsets_total(history.kafka_bootstrap, history.topics.scores)
    renv = ranking_env(aged, RANKING_GROUP_ID=f"ranking-ageing-{uuid.uuid4().hex[:8]}")
    consumer = RankingConsumer(renv).start()
    try:
        deadline = time.perf_counter() + 900
        while committed_on(s.kafka_bootstrap, renv["RANKING_GROUP_ID"], history.topics.scores) < events:
            if time.perf_counter() > deadline or consumer.proc.poll() is not None:
                raise NothingMeasured(f"the ranking consumer did not apply the history: {consumer.output()[-2000:]}")
            time.sleep(0.25)
    finally:
        consumer.stop()
    return {"history_votes": votes, "history_scores_events": events, "scoring_s": round(scoring_s, 1),
            "ageing_s": round(time.perf_counter() - started, 1)}


def end_offsets_total(bootstrap: str, topic: str) -> int:
    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in sorted(c.partitions_for_topic(topic) or ())]
        return sum(c.end_offsets(parts).values())
    finally:
        c.close()


def server_pids() -> dict[str, int | None]:
    servers = local_servers()
    profile = servers.profile("test")
    return {name: servers.running_pid(profile, name) for name in ("ferretdb", "postgresql", "kafka")}


def consumer_rate(s: Settings, codes: list[str]) -> dict:
    """The ranking consumer applying PREFILL_EVENTS standings (all districts, offsets rising) from a fresh store."""
    rng = random.Random(5)
    p = KafkaProducer(bootstrap_servers=s.kafka_bootstrap, acks="all", linger_ms=20)
    day, as_of = bangkok_day(utcnow()).isoformat(), iso_utc(utcnow())
    for i in range(PREFILL_EVENTS):
        code = codes[i % len(codes)]
        votes = 1 + i // len(codes)
        hist = {str(k): 0 for k in range(1, 6)}
        hist[str(rng.randint(1, 5))] = votes
        window = {"from": None, "to": None, "votes": votes, "sum": votes * 3, "mean": 3.0, "histogram": hist,
                  "last_vote_at": None}
        body = {"schema": "scores.v1", "district_code": code, "day": day, "as_of": as_of, "votes_offset": i,
                "windows": {"campaign": window, "last_7_days": window, "last_30_days": window},
                "latest_comments": []}
        p.send(s.topics.scores, key=code.encode(), value=json.dumps(body).encode())
    p.flush()
    p.close()
    renv = ranking_env(s)
    group = renv["RANKING_GROUP_ID"]
    consumer = RankingConsumer(renv).start()
    try:
        started = time.perf_counter()
        deadline = started + 600
        while committed_on(s.kafka_bootstrap, group, s.topics.scores) < PREFILL_EVENTS:
            if time.perf_counter() > deadline:
                raise NothingMeasured(f"the ranking consumer did not finish: {consumer.output()}")
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
    finally:
        consumer.stop()
    return {"events": PREFILL_EVENTS, "seconds": round(elapsed, 1), "events_per_s": round(PREFILL_EVENTS / elapsed)}


def main() -> int:
    build_tools()
    profile = local_servers().profile("test")
    base = Settings(kafka_bootstrap=profile.kafka_bootstrap, mongo_uri=profile.mongo_uri)
    codes = sorted(d.code for d in load_registry(None))
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    report: dict = {"machine": f"{os.cpu_count()} cores", "load_average_at_start": os.getloadavg()}
    if "reads" in PHASES:
        say("reads: ranking beside the bare app")
        report["reads"] = reads(base)
        (out / "ranking.json").write_text(json.dumps(report, indent=1))
    if "freshness" in PHASES:
        fresh_runs = []
        for run in range(int(os.environ.get("BENCH_FRESH_RUNS", "3"))):
            say(f"freshness run {run + 1} at {RATE} votes/s for {FRESH_SECONDS} s")
            s = fresh_settings(base)
            kafka.ensure_topics(s)
            try:
                ageing = age_store(s, base, codes) if STORE == "aged" else None
                if ageing:
                    say(f"  aged: {ageing}")
                fresh_runs.append({"store": STORE, "ageing": ageing, "load_average_before": os.getloadavg(),
                                   **freshness(s, codes), "load_average_after": os.getloadavg()})
            finally:
                mongo.client(s.mongo_uri).drop_database(s.mongo_db)
            say(f"  {fresh_runs[-1]}")
        report["freshness_runs"] = fresh_runs
        report["freshness_median"] = {
            k: statistics.median(r[k] for r in fresh_runs if r[k] is not None)
            for k in ("post_rate_per_s", "p50_s", "p95_s", "to_scores_p50_s", "to_scores_p95_s", "scores_events_per_s")
            if any(r[k] is not None for r in fresh_runs)}
        (out / "ranking.json").write_text(json.dumps(report, indent=1))
    if "consumer" in PHASES:
        say(f"consumer rate over {PREFILL_EVENTS} scores.v1 events")
        s = fresh_settings(base)
        kafka.ensure_topics(s)
        try:
            rate = consumer_rate(s, codes)
        finally:
            mongo.client(s.mongo_uri).drop_database(s.mongo_db)
        scoring_output = report.get("freshness_median", {}).get("scores_events_per_s")
        rate["ratio_to_scoring_output"] = round(rate["events_per_s"] / scoring_output, 1) if scoring_output else None
        report["consumer"] = rate
    report["load_average_at_end"] = os.getloadavg()
    print(json.dumps(report, indent=1))
    (out / "ranking.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

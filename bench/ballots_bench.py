"""`make bench-ballots`: what ballots.v1 costs (issue 18), measured in one run. Not a test.

1. Scoring's rate before and after ballots: a 12-partition votes topic pre-filled with BENCH_VOTES
   votes (100,000) across all 878 districts. "Before" is the scoring consumer of the commit before
   ballots (4290955^) run from a temporary detached worktree of it (`python -m` with that worktree
   as its cwd imports its code; the dependencies did not change, so the same virtualenv runs it);
   "after" is this checkout's consumer. Alternating before/after, BENCH_ROUNDS (3) rounds each, a
   fresh database and a fresh consumer group every round: votes/s per round, medians, after/before
   (the issue's aim: >= 0.85), CPU seconds of the consumer and of the servers, the ballots each
   round published, the load average around every round.
2. Notify's latency, vote accepted (ingest's 202) to decided: a real ingest process, the scoring
   consumer and the notify consumer running; single votes posted at a steady BENCH_NOTIFY_RATE
   (100/s) for BENCH_NOTIFY_SECONDS (20) to BENCH_NOTIFY_DISTRICTS (20) districts; for each vote the
   time from its 202 until notify's `notify_votes` day document holds its key (read by `_id` every
   BENCH_POLL_MS, 100 ms, per district-day with votes pending). Notify writes that document in the
   same `handle` call that then evaluates the district's rules, so the figure is the vote reaching
   the rules, short of the evaluation itself (milliseconds), plus up to one poll interval.
   Fresh store, and an aged one: BENCH_NOTIFY_HISTORY_DAYS (14, all that notify keeps) x 878
   districts x 2 votes in votes.v1 with past submitted_at, applied by the same scoring and notify
   consumers before the clock starts.
BENCH_PROFILE=1 adds one profiled after-round (cProfile of the consumer; not in the figures) and
prints where its time went. Results: printed, and var/bench/ballots.json.
"""

from __future__ import annotations

import json
import os
import pstats
import shutil
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
from kafka import KafkaConsumer, TopicPartition  # noqa: E402

from bench.scoring_bench import fresh_settings, prefill, prefill_history, scoring_rate, write_result  # noqa: E402
from services.notify.store import vote_key  # noqa: E402
from shared import cli, kafka, mongo  # noqa: E402
from shared.config import Settings  # noqa: E402
from shared.districts import load_registry  # noqa: E402
from shared.timeutil import bangkok_day  # noqa: E402
from tests.integration.ingest_env import AUTH, ingest_env  # noqa: E402
from tests.integration.notify_env import notify_env  # noqa: E402
from tests.support.infra import local_servers  # noqa: E402
from tests.support.kafka_read import committed_on  # noqa: E402
from tests.support.processes import ManagedProcess, ServiceProcess  # noqa: E402
from tests.support.scoring import ConsumerProcess, now_utc, scoring_env  # noqa: E402

BEFORE_COMMIT = os.environ.get("BENCH_BEFORE", "4290955^")  # the parent of the commit that added ballots.v1
VOTES = int(os.environ.get("BENCH_VOTES", "100000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
NOTIFY_RATE = float(os.environ.get("BENCH_NOTIFY_RATE", "100"))
NOTIFY_SECONDS = float(os.environ.get("BENCH_NOTIFY_SECONDS", "20"))
NOTIFY_DISTRICTS = int(os.environ.get("BENCH_NOTIFY_DISTRICTS", "20"))
NOTIFY_HISTORY_DAYS = int(os.environ.get("BENCH_NOTIFY_HISTORY_DAYS", "14"))
POSTERS = int(os.environ.get("BENCH_NOTIFY_POSTERS", "8"))
POLL_S = int(os.environ.get("BENCH_POLL_MS", "100")) / 1000
PROFILE = os.environ.get("BENCH_PROFILE") == "1"
AIM_RATIO = 0.85


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def before_worktree() -> Path:
    """A detached worktree of the commit before ballots, in a temporary directory (removed by `remove`)."""
    path = Path(tempfile.mkdtemp(prefix="bench-before-ballots-")) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(path), BEFORE_COMMIT],
                   check=True)
    return path


def remove_worktree(path: Path) -> None:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], check=False)
    shutil.rmtree(path.parent, ignore_errors=True)


def imported_from(cwd: Path) -> str:
    """Where `python -m` run in `cwd` finds scoring's processor: proof the before-round runs the old code."""
    out = subprocess.run([sys.executable, "-c", "import services.scoring.processor as p; print(p.__file__)"],
                         cwd=cwd, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def topic_size(s: Settings, topic: str) -> int:
    c = KafkaConsumer(bootstrap_servers=s.kafka_bootstrap, group_id=None, enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in sorted(c.partitions_for_topic(topic) or [])]
        return sum(c.end_offsets(parts).values()) if parts else 0
    finally:
        c.close()


# ---------------------------------------------------------------------------------------------- 1. rate
def rate_rounds(base: Settings, codes: list[str], servers, profile, old: Path) -> dict:
    s = fresh_settings(base)
    kafka.ensure_topics(s)
    t = time.perf_counter()
    prefill(s, codes, VOTES)
    out: dict = {"votes": VOTES, "prefill_s": round(time.perf_counter() - t, 1), "rounds": []}
    client = mongo.client(s.mongo_uri)
    for n in range(ROUNDS):
        for side, cwd in (("before", old), ("after", ROOT)):
            s_run = replace(s, mongo_db=f"bench_{uuid.uuid4().hex[:8]}")
            ballots_at = topic_size(s, s.topics.ballots)
            load_at = load()
            r = scoring_rate(s_run, servers, profile, total=VOTES, cwd=cwd, profiled=False)
            r.pop("profile")
            r.update(round=n + 1, side=side, votes_per_s=round(r["votes_per_s"]), load_before=load_at,
                     load_after=load(), ballot_records=topic_size(s, s.topics.ballots) - ballots_at)
            out["rounds"].append(r)
            print(f"round {n + 1} {side:6}: {r['votes_per_s']:6} votes/s ({r['after_first_commit_votes_per_s']} "
                  f"after the first commit at {r['first_commit_s']} s), consumer CPU "
                  f"{r['cpu_seconds']['scoring_consumer']:.1f} s (main thread "
                  f"{r['cpu_seconds']['scoring_consumer_main_thread']:.1f} s), ballot records {r['ballot_records']}, "
                  f"load {load_at[0]} -> {r['load_after'][0]}", flush=True)
            client.drop_database(s_run.mongo_db)
    for side in ("before", "after"):
        mine = [r for r in out["rounds"] if r["side"] == side]
        out[side] = {"votes_per_s_median": round(statistics.median(r["votes_per_s"] for r in mine)),
                     "after_first_commit_votes_per_s_median": round(statistics.median(
                         r["after_first_commit_votes_per_s"] or 0 for r in mine)),
                     "consumer_cpu_s_median": round(statistics.median(
                         r["cpu_seconds"]["scoring_consumer"] for r in mine), 1),
                     "consumer_main_thread_cpu_s_median": round(statistics.median(
                         r["cpu_seconds"]["scoring_consumer_main_thread"] for r in mine), 1),
                     "consumer_cpu_ms_per_vote": round(1000 * statistics.median(
                         r["cpu_seconds"]["scoring_consumer"] for r in mine) / VOTES, 4)}
    out["ratio_after_before"] = round(out["after"]["votes_per_s_median"] / out["before"]["votes_per_s_median"], 3)
    out["after_first_commit_ratio"] = round(out["after"]["after_first_commit_votes_per_s_median"]
                                            / max(1, out["before"]["after_first_commit_votes_per_s_median"]), 3)
    out["cpu_ratio_after_before"] = round(out["after"]["consumer_cpu_s_median"]
                                          / out["before"]["consumer_cpu_s_median"], 3)
    out["aim_met"] = out["ratio_after_before"] >= AIM_RATIO
    if PROFILE:
        out["profile"] = {side: profiled_round(s, servers, profile, cwd) for side, cwd in (("before", old),
                                                                                          ("after", ROOT))}
    client.drop_database(s.mongo_db)
    return out


def profiled_round(s: Settings, servers, profile, cwd: Path) -> dict:
    """One round under cProfile (not in the figures; the profiler sees the main thread only): the
    functions ballots touch, and the top."""
    side = "after" if cwd == ROOT else "before"
    s_run = replace(s, mongo_db=f"bench_{uuid.uuid4().hex[:8]}")
    r = scoring_rate(s_run, servers, profile, total=VOTES, cwd=cwd, profiled=True)
    mongo.client(s.mongo_uri).drop_database(s_run.mongo_db)
    stats = pstats.Stats(r["profile"])
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    stats.dump_stats(out / f"ballots-{side}.prof")
    rows = {}
    for (file, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():
        rows[f"{Path(file).name}:{line}({name})"] = (calls, round(tottime, 3), round(cumtime, 3))
    wanted = ("_vote_ballots", "ballot", "Ballot", "send", "wakeup", "handle", "decode", "_parse_vote", "load",
              "to_bytes", "dumps", "record_votes", "_apply", "_publish")
    picked = {k: v for k, v in rows.items() if any(w in k for w in wanted) and v[2] >= 0.1}
    stats.sort_stats("tottime").print_stats(20)
    print(f"^ {side}", flush=True)
    return {"profile_file": str(out / f"ballots-{side}.prof"), "votes_per_s_profiled": round(r["votes_per_s"]),
            "profiled_s": round(stats.total_tt, 2),
            "calls_tottime_cumtime": dict(sorted(picked.items(), key=lambda kv: -kv[1][2])[:30])}


# ---------------------------------------------------------------------------------------------- 2. notify
def notify_process(env: dict[str, str]) -> ManagedProcess:
    return ManagedProcess([sys.executable, "-m", "services.notify.consumer"], env, log_prefix="notify-consumer-")


def wait_for(condition, timeout_s: float, what: str, *logs: ManagedProcess, every: float = 0.5,
             fail: bool = True) -> float | None:
    """Seconds until `condition`; a dead consumer stops the benchmark, so does the timeout unless not `fail`."""
    started = time.perf_counter()
    while not condition():
        for p in logs:
            if p.proc.poll() is not None:
                raise SystemExit(f"bench-ballots: a consumer died waiting for {what}:\n{p.output()}")
        if time.perf_counter() - started > timeout_s:
            if not fail:
                return None
            raise SystemExit(f"bench-ballots: timed out waiting for {what}:\n"
                             + "\n".join(p.output() for p in logs))
        time.sleep(every)
    return time.perf_counter() - started


def notify_latency(base: Settings, codes: list[str], aged: bool) -> dict:
    s = fresh_settings(base)
    cli.init(s)  # topics, every service's indexes, the registry: as a deploy does
    votes_db = mongo.database(s).notify_votes
    sgroup, ngroup = f"bench-s-{uuid.uuid4().hex[:8]}", f"bench-n-{uuid.uuid4().hex[:8]}"
    # One benchmark kiosk key stands for the many kiosks 100 votes/s come from: past the per-key caps (60 per
    # district per 5 min) scoring would decide its votes flagged, and notify rightly never holds a flagged vote.
    caps = {"FLAG_KEY_BURST_CAP": "1000000", "FLAG_KEY_DAILY_CAP": "1000000"}
    senv = scoring_env(s, tempfile.mkdtemp(prefix="bench-scoring-"), SCORING_GROUP_ID=sgroup, **caps)
    nenv = notify_env(s, line_url="http://127.0.0.1:9", smtp_port=9, NOTIFY_GROUP_ID=ngroup,
                      NOTIFY_STATE_DIR=tempfile.mkdtemp(prefix="bench-notify-"),
                      VOTES_PARTITIONS=str(s.votes_partitions))
    report: dict = {"store": "aged" if aged else "fresh", "load_before": load()}
    history = 0
    if aged:
        history = prefill_history(s, codes, days=NOTIFY_HISTORY_DAYS, first_day=1, per_day=2)
        report["history_votes"] = history
    targets = codes[:: max(1, len(codes) // NOTIFY_DISTRICTS)][:NOTIFY_DISTRICTS]
    pending: dict[str, dict[str, float]] = {}  # "<district>:<day>" -> {vote key: time of its 202}
    latencies: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()
    failures: list[str] = []

    def poll() -> None:
        """Each district-day document with votes pending, by `_id`, every POLL_S."""
        while not stop.is_set():
            started = time.perf_counter()
            with lock:
                docs = [d for d, keys in pending.items() if keys]
            for doc_id in docs:
                doc = votes_db.find_one({"_id": doc_id}, {"v": 1}) or {}
                t = time.perf_counter()
                held = doc.get("v", {})
                with lock:
                    keys = pending[doc_id]
                    for key in [k for k in keys if k in held]:
                        latencies.append(t - keys.pop(key))
            time.sleep(max(0.0, POLL_S - (time.perf_counter() - started)))

    def post_one(session: requests.Session, url: str, district: str, score: int = 3) -> bool:
        r = session.post(url + "/v1/votes", json={"district_code": district, "score": score},
                         headers=AUTH, timeout=10)
        t = time.perf_counter()
        if r.status_code != 202:
            failures.append(f"{r.status_code} {r.text[:200]}")
            return False
        doc_id = f"{district}:{bangkok_day(now_utc()).isoformat()}"
        with lock:
            pending.setdefault(doc_id, {})[vote_key(r.json()["vote_id"])] = t
        return True

    def poster(worker: int, url: str, end: float, sent: list[int]) -> None:
        session = requests.Session()
        interval = POSTERS / NOTIFY_RATE
        next_at = time.perf_counter() + worker * interval / POSTERS
        i = worker
        while next_at < end:
            time.sleep(max(0.0, next_at - time.perf_counter()))
            if post_one(session, url, targets[i % len(targets)], 1 + i % 5):
                sent[worker] += 1
            i += POSTERS
            next_at += interval

    with ConsumerProcess(senv) as scoring, notify_process(nenv) as notify:
        if aged:
            report["ageing_s"] = round(wait_for(
                lambda: committed_on(s.kafka_bootstrap, sgroup, s.topics.votes) >= history
                and committed_on(s.kafka_bootstrap, ngroup, s.topics.ballots) >= topic_size(s, s.topics.ballots),
                900, "the history through scoring and notify", scoring, notify, every=1.0), 1)
            report["notify_day_documents"] = votes_db.estimated_document_count()
        with ServiceProcess("services.ingest.wsgi:app", ingest_env(s), workers=2, threads=8) as ingest:
            poller = threading.Thread(target=poll, daemon=True)
            poller.start()
            try:
                session = requests.Session()
                if not post_one(session, ingest.url, targets[0]):
                    raise SystemExit(f"bench-ballots: ingest refused the warm-up vote: {failures}")
                report["warm_up_s"] = round(wait_for(lambda: not any(pending.values()), 180,
                                                     "the warm-up vote in notify's store", scoring, notify,
                                                     every=0.1), 2)
                latencies.clear()
                sent = [0] * POSTERS
                started = time.perf_counter()
                end = started + NOTIFY_SECONDS
                threads = [threading.Thread(target=poster, args=(w, ingest.url, end, sent)) for w in range(POSTERS)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                posting_s = time.perf_counter() - started
                drained = wait_for(lambda: not any(pending.values()), 120, "every posted vote in notify's store",
                                   scoring, notify, every=0.2, fail=False) is not None
            finally:
                stop.set()
                poller.join()
    unseen = sum(len(v) for v in pending.values())
    if not latencies:
        raise SystemExit(f"bench-ballots: notify's run measured no vote ({sum(sent)} posted, {failures[:3]})")
    latencies.sort()
    report.update(posted=sum(sent), post_rate_per_s=round(sum(sent) / posting_s, 1), refused=len(failures),
                  districts=len(targets), poll_ms=round(POLL_S * 1000), measured=len(latencies),
                  unseen_after_120s=unseen, drained=drained,
                  p50_s=round(statistics.median(latencies), 3),
                  p95_s=round(latencies[int(0.95 * (len(latencies) - 1))], 3),
                  max_s=round(latencies[-1], 3), load_after=load())
    mongo.client(s.mongo_uri).drop_database(s.mongo_db)
    print(f"notify {report['store']:5}: p50 {report['p50_s']} s, p95 {report['p95_s']} s "
          f"({report['measured']}/{report['posted']} votes at {report['post_rate_per_s']}/s)", flush=True)
    return report


def main() -> int:
    servers = local_servers()
    profile = servers.profile("test")
    base = Settings(kafka_bootstrap=profile.kafka_bootstrap, mongo_uri=profile.mongo_uri)
    codes = sorted(d.code for d in load_registry(None))
    started = time.perf_counter()
    report: dict = {"before_commit": subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", BEFORE_COMMIT],
                                                    capture_output=True, text=True).stdout.strip(),
                    "after_commit": subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                                   capture_output=True, text=True).stdout.strip(),
                    "cpus": os.cpu_count(), "load_at_start": load()}
    old = before_worktree()
    try:
        report["before_code"], report["after_code"] = imported_from(old), imported_from(ROOT)
        if report["before_code"] == report["after_code"]:
            raise SystemExit("bench-ballots: the before-round would import this checkout's code")
        report["scoring"] = rate_rounds(base, codes, servers, profile, old)
    finally:
        remove_worktree(old)
    report["notify"] = {phase: notify_latency(base, codes, aged=phase == "aged") for phase in ("fresh", "aged")}
    report["load_at_end"] = load()
    report["total_s"] = round(time.perf_counter() - started)
    print(json.dumps(report, indent=1))
    sc, no = report["scoring"], report["notify"]
    print(f"\nscoring votes/s median: before {sc['before']['votes_per_s_median']}, after "
          f"{sc['after']['votes_per_s_median']}, after/before {sc['ratio_after_before']} (aim >= {AIM_RATIO}: "
          f"{'met' if sc['aim_met'] else 'NOT met'}); after the first commit: {sc['after_first_commit_ratio']}; "
          f"consumer CPU ms/vote {sc['before']['consumer_cpu_ms_per_vote']}"
          f" -> {sc['after']['consumer_cpu_ms_per_vote']}")
    for phase in ("fresh", "aged"):
        print(f"notify 202 -> decided at {no[phase]['post_rate_per_s']} votes/s, {phase}: "
              f"p50 {no[phase]['p50_s']} s, p95 {no[phase]['p95_s']} s")
    print(f"load average {report['load_at_start']} -> {report['load_at_end']}, {report['total_s']} s in all")
    write_result("ballots.json", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

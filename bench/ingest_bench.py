"""`make bench-ingest`: ingest with the traffic the channels send, on a fresh and on an aged store.

A benchmark, not a test. In one run, for each of two stores:
- fresh: an empty database (the first morning of a campaign);
- aged: 100,000 live claims already in the store (a busy national day: idempotency and voter-day
  claims with their marks, in ingest's layout),
it measures, rounds alternating so drift hits all alike:
- the bare Flask app (same gunicorn settings, answers 202 at once): the baseline;
- kiosk single votes (no key, no voter: `hey`);
- QR-like and LINE-like single votes, each with its own Idempotency-Key and voter identity
  (`bench/loadgen`, since every request differs);
- kiosk batches of 500 votes, each with its own idempotency_key (an offline kiosk uploading);
and, from ingest's /metrics, the store round trips per accepted vote for each channel; then, on the
fresh store, a py-spy profile of the kiosk, QR and batch paths under the same load
(`bench/ingest_profile.py`; skipped when py-spy is not installed: `pip install py-spy`).
With `BENCH_BEFORE=<commit>` the same channels are measured, in the same rounds (the order swapped each
round), on that commit's ingest too, run from a temporary detached worktree: its figures are `before_*`.
The load generator, Kafka, PostgreSQL and FerretDB run on the same machine. Medians of rounds.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import ingest_profile  # noqa: E402
from shared import kafka, mongo  # noqa: E402
from shared.claims import PUBLISHED, mark_id  # noqa: E402
from shared.config import Settings, Topics  # noqa: E402
from shared.expiry import DUE, due_label  # noqa: E402
from tests.support.infra import local_servers  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402

BIN = ROOT / "var" / "cache" / "bin"
HEY = BIN / "hey"
LOADGEN = BIN / "sangsuk-loadgen"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "6000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))
BATCHES = int(os.environ.get("BENCH_BATCHES", "60"))
PROFILE_S = float(os.environ.get("BENCH_PROFILE_S", "8"))  # py-spy's sampling per path, after the rounds
AGED_CLAIMS = int(os.environ.get("BENCH_AGED_CLAIMS", "100000"))
KEYS = {"kiosk": "bench-kiosk-key", "qr": "bench-qr-key", "line": "bench-line-key"}
DATA_COMMANDS = ("insert", "update", "delete", "find", "findAndModify", "getMore")
VOTE = {"district_code": "3706", "score": 5, "comment": "บริการรวดเร็ว เจ้าหน้าที่สุภาพ", "service": "id_card"}


def build_tools() -> None:
    if not HEY.exists():
        BIN.mkdir(parents=True, exist_ok=True)
        subprocess.run(["go", "install", "github.com/rakyll/hey@v0.1.4"], check=True,
                       env={**os.environ, "GOBIN": str(BIN), "GOFLAGS": "-buildvcs=false"})
    source = ROOT / "bench" / "loadgen"
    if not LOADGEN.exists() or LOADGEN.stat().st_mtime < max(p.stat().st_mtime for p in source.iterdir()):
        subprocess.run(["go", "build", "-o", str(LOADGEN), "."], cwd=source, check=True,
                       env={**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false"})


def run_hey(url: str, path: str = "/v1/votes") -> dict:
    out = subprocess.run(
        [str(HEY), "-n", str(REQUESTS), "-c", str(CONCURRENCY), "-m", "POST", "-T", "application/json",
         "-H", f"Authorization: Bearer {KEYS['kiosk']}", "-d", json.dumps(VOTE, ensure_ascii=False), url + path],
        check=True, capture_output=True, text=True,
    ).stdout
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": float(re.search(r"50%+ in ([\d.]+) secs", out).group(1)) * 1000,
            "p99_ms": float(re.search(r"99%+ in ([\d.]+) secs", out).group(1)) * 1000,
            "statuses": dict(re.findall(r"\[(\d{3})\]\s+(\d+) responses", out))}


def run_keyed(url: str, channel: str) -> dict:
    """Every request its own Idempotency-Key and voter (a QR device cookie, a LINE userId)."""
    voter = {"qr": "qr-device-{n}", "line": "U{n}"}[channel]
    body = json.dumps({**VOTE, "voter_id": voter}, ensure_ascii=False)
    out = subprocess.run(
        [str(LOADGEN), "-url", url + "/v1/votes", "-n", str(REQUESTS), "-c", str(CONCURRENCY), "-body", body,
         "-tag", uuid.uuid4().hex[:12], "-H", f"Authorization: Bearer {KEYS[channel]}", "-H", "Idempotency-Key: {n}"],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def run_batches(url: str) -> dict:
    """Kiosk batches of 500, a key per item, from 4 client threads."""
    headers = {"Authorization": f"Bearer {KEYS['kiosk']}", "Content-Type": "application/json"}
    codes = ["3706", "4408", "4712", "5001", "1301"]

    def post(i: int) -> int:
        tag = uuid.uuid4().hex
        votes = [{"district_code": codes[j % 5], "score": j % 5 + 1, "comment": "ดีมาก" if j % 3 else "",
                  "idempotency_key": f"{tag}-{j}"} for j in range(500)]
        r = requests.post(url + "/v1/votes/batch", data=json.dumps({"votes": votes}, ensure_ascii=False).encode(),
                          headers=headers, timeout=120)
        r.raise_for_status()
        return r.json()["accepted"]

    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        accepted = sum(pool.map(post, range(BATCHES)))
    elapsed = time.perf_counter() - started
    return {"votes_per_s": accepted / elapsed, "accepted": accepted, "posted": BATCHES * 500}


def counters(url: str) -> tuple[float, dict[str, float]]:
    """(store round trips so far, accepted votes by channel) from ingest's /metrics."""
    text = requests.get(url + "/metrics", timeout=10).text
    ops = sum(float(n) for cmd, n in re.findall(r'^store_operations_total\{command="(\w+)"\} (\S+)$', text, re.M)
              if cmd in DATA_COMMANDS)
    accepted = {ch: float(n) for ch, n in re.findall(r'^ingest_votes_accepted_total\{channel="(\w+)"\} (\S+)$',
                                                     text, re.M)}
    return ops, accepted


def age(db, claims: int) -> float:
    """A busy national day already in the store: half idempotency, half voter-day claims, all marked."""
    now = datetime.now(UTC)
    started = time.perf_counter()
    for start in range(0, claims, 2000):
        docs, marks = [], []
        for i in range(start, min(start + 2000, claims)):
            kind = "idem" if i % 2 else "voter"
            expires = now + (timedelta(hours=24) if kind == "idem" else timedelta(days=1, hours=12))
            claim_id = f"{kind}:aged-{i:07d}-{uuid.uuid4().hex[:16]}"
            docs.append({"_id": claim_id, "vote_id": uuid.uuid4().hex, "version": 1,
                         "fingerprint": uuid.uuid4().hex * 2 if kind == "idem" else None, "created_at": now,
                         "updated_at": now, "expires_at": expires, DUE: due_label(expires)})
            marks.append({"_id": mark_id(claim_id, 1), "state": PUBLISHED, "at": now, DUE: due_label(expires)})
        db.ingest_claims.insert_many(docs, ordered=False)
        db.ingest_claims_marks.insert_many(marks, ordered=False)
    return time.perf_counter() - started


def cpu_seconds(pid: int | None) -> float:
    """CPU seconds of a process and its live children (gunicorn workers, PostgreSQL backends)."""
    if not pid:
        return 0.0

    def one(stat: Path) -> tuple[int, float]:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return int(fields[1]), sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")

    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid, cpu = one(stat)
        except (OSError, ValueError, IndexError):
            continue
        if int(stat.parent.name) == pid or ppid == pid:
            total += cpu
    return total


CHANNELS = ("kiosk", "qr", "line", "batch")


def measure(bare_url: str, targets: dict[str, tuple[str, dict[str, int | None]]]) -> dict:
    """Rounds of the bare app and every channel against each target ({"": (url, pids)}; with BENCH_BEFORE also
    {"before_": …}, the same channels on the older commit, in the same rounds, the order swapped each round)."""
    names = [f"{t}{c}" for t in targets for c in CHANNELS]
    rounds: dict[str, list] = {k: [] for k in ("bare", *names)}
    ops_per_vote: dict[str, list[float]] = {k: [] for k in names}
    cpu_ms_per_vote: dict[str, list[dict]] = {k: [] for k in names}
    for n in range(ROUNDS):
        rounds["bare"].append(run_hey(bare_url))
        order = list(targets.items()) if n % 2 == 0 else list(reversed(targets.items()))
        for prefix, (url, pids) in order:
            runs = {"kiosk": lambda u=url: run_hey(u), "qr": lambda u=url: run_keyed(u, "qr"),
                    "line": lambda u=url: run_keyed(u, "line"), "batch": lambda u=url: run_batches(u)}
            for channel, run in runs.items():
                name = prefix + channel
                ops_before, accepted_before = counters(url)
                cpu_before = {pname: cpu_seconds(pid) for pname, pid in pids.items()}
                rounds[name].append(run())
                cpu_after = {pname: cpu_seconds(pid) for pname, pid in pids.items()}
                ops_after, accepted_after = counters(url)
                counted = "kiosk" if channel == "batch" else channel
                accepted = accepted_after.get(counted, 0) - accepted_before.get(counted, 0)
                if accepted <= 0:
                    raise SystemExit(f"bench-ingest: the {name} round accepted no votes: {rounds[name][-1]}")
                ops_per_vote[name].append((ops_after - ops_before) / accepted)
                cpu_ms_per_vote[name].append({pname: round((cpu_after[pname] - cpu_before[pname]) * 1000 / accepted,
                                                           3) for pname in pids})

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in rounds[name])

    figures = {"bare_rps": med("bare", "rps"), "bare_p99_ms": med("bare", "p99_ms")}
    for prefix in targets:
        for channel in ("kiosk", "qr", "line"):
            name = prefix + channel
            figures[f"{name}_rps"] = med(name, "rps")
            figures[f"{name}_p50_ms"] = med(name, "p50_ms")
            figures[f"{name}_p99_ms"] = med(name, "p99_ms")
            figures[f"{name}_ratio_to_bare"] = figures[f"{name}_rps"] / figures["bare_rps"]
        figures[f"{prefix}batch_votes_per_s"] = med(prefix + "batch", "votes_per_s")
    for name, values in ops_per_vote.items():
        figures[f"{name}_store_ops_per_vote"] = statistics.median(values)
    # Where the time goes: CPU milliseconds per accepted vote, by process (median of rounds).
    cpu = {name: {pname: statistics.median(r[pname] for r in values) for pname in values[0]}
           for name, values in cpu_ms_per_vote.items()}
    return {"figures": figures, "cpu_ms_per_vote": cpu, "rounds": rounds}


def before_worktree(commit: str) -> Path:
    """A detached worktree of `commit` in a temporary directory: its ingest runs with `python -m` there."""
    path = Path(tempfile.mkdtemp(prefix="bench-ingest-before-")) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(path), commit], check=True)
    return path


def remove_worktree(path: Path) -> None:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], check=False)
    shutil.rmtree(path.parent, ignore_errors=True)


def main() -> int:
    build_tools()
    profile = local_servers().profile("test")
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    report: dict = {"machine": f"{os.cpu_count()} cores", "load": os.getloadavg(), "gunicorn_workers": workers,
                    "requests_per_round": REQUESTS, "concurrency": CONCURRENCY, "rounds": ROUNDS,
                    "batches_per_round": BATCHES, "aged_claims": AGED_CLAIMS,
                    "started": datetime.now(UTC).isoformat(timespec="seconds")}
    before = os.environ.get("BENCH_BEFORE")  # a commit to measure in the same rounds (before/after in one run)
    old_tree = before_worktree(before) if before else None
    report["before"] = before
    try:
        phases = run_phases(profile, workers, old_tree, report)
    finally:
        if old_tree is not None:
            remove_worktree(old_tree)
    report["phases"] = phases
    report["load_after"] = os.getloadavg()
    print_table(phases)
    ingest_profile.print_profiles(report.get("profiles", {}))
    print(f"raw results: {save(report)}")
    return 0


def run_phases(profile, workers: int, old_tree: Path | None, report: dict) -> dict:
    phases = {}
    for phase in ("fresh", "aged"):
        tag = uuid.uuid4().hex[:8]
        settings = Settings(kafka_bootstrap=profile.kafka_bootstrap, mongo_uri=profile.mongo_uri,
                            mongo_db=f"bench_{tag}", topics=Topics(votes=f"bench.votes.{tag}",
                                                                      ballots=f"bench.ballots.{tag}"))
        kafka.ensure_topics(settings)
        db = mongo.database(settings)
        init_indexes(settings)
        if phase == "aged":
            report["aging_s"] = round(age(db, AGED_CLAIMS), 1)
        env = {"KAFKA_BOOTSTRAP": settings.kafka_bootstrap, "MONGO_URI": settings.mongo_uri,
               "MONGO_DB": settings.mongo_db, "TOPIC_VOTES": settings.topics.votes, "CHANNEL_KEYS": json.dumps(KEYS),
               "VOTER_HMAC_SECRET": "bench", "LOG_LEVEL": "WARNING",
               # Real QR traffic comes from many addresses: the per-IP window is counted, never refused.
               "IP_LIMIT_PER_MINUTE": "1000000000", "PUBLIC_BASE_URL": "https://amphoesangsook.example"}
        old = ServiceProcess("services.ingest.wsgi:app", env, workers=workers) if old_tree is not None else None
        if old is not None:
            old.cwd = old_tree  # `python -m gunicorn` there imports the older commit's services first
        with ServiceProcess("bench.bare_app:app", env, workers=workers) as bare, \
                ServiceProcess("services.ingest.wsgi:app", env, workers=workers) as ingest, \
                (old or contextlib.nullcontext()):
            run_hey(bare.url), run_hey(ingest.url)  # warm-up: connections, producer metadata
            servers = local_servers()
            stores = {name: servers.running_pid(profile, name) for name in ("ferretdb", "postgresql", "kafka")}
            targets = {"": (ingest.url, {"ingest": ingest.proc.pid, **stores})}
            if old is not None:
                run_hey(old.url)
                targets["before_"] = (old.url, {"ingest": old.proc.pid, **stores})
            phases[phase] = measure(bare.url, targets)
            if phase == "fresh" and ingest_profile.available():
                loads = {"kiosk": lambda: run_hey(ingest.url), "qr": lambda: run_keyed(ingest.url, "qr"),
                         "batch": lambda: run_batches(ingest.url)}
                report["profiles"] = {path: ingest_profile.profile_while(ingest.proc.pid, load, PROFILE_S)
                                      for path, load in loads.items()}
        mongo.client(settings.mongo_uri).drop_database(settings.mongo_db)
        save({**report, "phases": phases})  # a phase measured is kept even if the next one fails
    return phases


def save(report: dict) -> Path:
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ingest.json").write_text(json.dumps(report, indent=2))
    return out / "ingest.json"


def init_indexes(settings: Settings) -> None:
    """The store's indexes as `sangsuk init` makes them (ingest's manifest), without topics and registry."""
    from services.ingest.manifest import MANIFEST

    MANIFEST.prepare_store(mongo.database(settings))


def print_table(phases: dict) -> None:
    fresh, aged = phases["fresh"]["figures"], phases["aged"]["figures"]
    print(f"\n{'figure':34} {'fresh':>10} {'aged':>10} {'aged/fresh':>10}")
    for name in fresh:
        ratio = aged[name] / fresh[name] if fresh[name] else float("nan")
        print(f"{name:34} {fresh[name]:10.3f} {aged[name]:10.3f} {ratio:10.2f}")
    for phase in ("fresh", "aged"):
        print(f"CPU ms per accepted vote ({phase}):", json.dumps(phases[phase]["cpu_ms_per_vote"]))


if __name__ == "__main__":
    sys.exit(main())

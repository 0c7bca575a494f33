"""The local stack heals like the cluster: SIGKILL a consumer, a gunicorn master, the broker, FerretDB and
PostgreSQL in turn, each comes back under supervisord without anyone acting, `servers.py status` (what
`make status` runs) shows every program RUNNING, and every vote acknowledged after each recovery is scored,
exactly once.

The suite's own servers (the test profile's supervisord) are the ones killed; ingest and scoring join that
supervisord as `make run` adds them, and leave it at the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from dataclasses import replace

import pytest
import requests
from pymongo.errors import PyMongoError

from shared import mongo
from tests.integration.ingest_env import AUTH, ingest_env
from tests.support.infra import local_servers
from tests.support.processes import ROOT, free_port
from tests.support.scoring import scoring_env, stored_figures, wait_until
from tests.support.supervised import alive, local_services

pytestmark = pytest.mark.slow
RECOVERY_S = 150  # a JVM restart on a machine shared with other suites


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _status() -> tuple[int, str]:
    done = subprocess.run([sys.executable, "deploy/local/servers.py", "status", "--profile", "test"], cwd=ROOT,
                          capture_output=True, text=True, env=os.environ)
    return done.returncode, done.stdout


def _post_until_accepted(url: str, key: str, score: int) -> None:
    """One vote, retried with its key while the stack heals (503, or ingest not listening yet)."""
    def attempt() -> bool:
        try:
            r = requests.post(url + "/v1/votes", json={"district_code": "3706", "score": score},
                              headers={**AUTH, "Idempotency-Key": key}, timeout=30)
        except requests.RequestException:
            return False
        assert r.status_code in (202, 503), r.text  # refused while a server is down, never a 500
        return r.status_code == 202

    wait_until(attempt, RECOVERY_S, f"vote {key} accepted", interval=1)


def test_every_local_process_comes_back_after_sigkill_and_no_vote_is_lost(infra, settings, monkeypatch, tmp_path):
    if infra.kind != "local":
        pytest.skip("kills the local servers under their supervisord; runs with the local servers")
    servers = local_servers()
    profile = servers.profile("test")
    supervisor = servers.supervisor(profile)
    starter = local_services()
    # A consumer whose client is wedged after the broker's restart (polls that return nothing, or flushes that
    # time out; shared/stream/loop.py) exits to be restarted: sooner than the defaults here, to keep it short.
    env = {**ingest_env(settings), **scoring_env(settings, str(tmp_path / "scoring-state"), SCORING_BACKOFF_MAX_S="1",
                                                 SCORING_STALL_S="20", SCORING_GIVE_UP_S="30")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    by_name = {m.name: m for m in starter.manifests()}
    ingest, scoring = (replace(by_name[name], port=free_port()) for name in ("ingest", "scoring"))
    ingest_url, scoring_url = (f"http://127.0.0.1:{m.port}" for m in (ingest, scoring))
    python = str(ROOT / ".venv" / "bin" / "python")
    db = mongo.database(settings)
    accepted: list[int] = []

    def vote_and_see_it_scored() -> None:
        score = len(accepted) % 5 + 1
        _post_until_accepted(ingest_url, f"heal-{uuid.uuid4().hex}", score)
        accepted.append(score)

        def scored() -> bool:
            cells = stored_figures(db).values()
            return (sum(c["n"] for c in cells), sum(c["s"] for c in cells)) == (len(accepted), sum(accepted))

        wait_until(scored, RECOVERY_S, f"{len(accepted)} votes scored")

    recovered = {
        "scoring-consumer": lambda: _answers(scoring_url + "/readyz"),  # ready = the consumer's heartbeat is fresh
        "ingest": lambda: _answers(ingest_url + "/healthz"),  # the gunicorn master (its workers follow it)
        "kafka": lambda: servers.port_open(profile.kafka_port),
        "ferretdb": lambda: servers.port_open(profile.mongo_port),
        "postgresql": lambda: servers.pg_ready(profile),
    }
    try:
        for manifest in (ingest, scoring):
            starter.start_service(supervisor, python, manifest, tmp_path)
        wait_until(recovered["scoring-consumer"], RECOVERY_S, "scoring ready")
        vote_and_see_it_scored()

        for victim, serving in recovered.items():
            old = supervisor.pid(victim)
            assert old, supervisor.infos()
            os.kill(old, signal.SIGKILL)
            wait_until(lambda old=old: not alive(old), 10, f"{victim} killed")
            new = wait_until(lambda old=old, v=victim: supervisor.pid(v) not in (None, old) and supervisor.pid(v),
                             RECOVERY_S, f"{victim} restarted by supervisord")
            wait_until(serving, RECOVERY_S, f"{victim} serving again")
            # What `make status` prints: every program of the stack RUNNING again, the victim with its new pid.
            _, out = wait_until(lambda: (s := _status())[0] == 0 and s, RECOVERY_S, "every program RUNNING")
            [line] = [ln for ln in out.splitlines() if ln.split()[0] == victim]
            assert line.split()[1] == "RUNNING" and f"pid {new}," in line, out
            vote_and_see_it_scored()
    finally:
        starter.stop(supervisor)
    assert set(supervisor.infos()) == {"postgresql", "ferretdb", "kafka"}  # the services left, the servers stay
    # Every acknowledged vote scored once: six votes, one before the kills and one after each recovery.
    cells = stored_figures(db).values()
    assert sum(c["n"] for c in cells) == len(accepted) == 1 + len(recovered)


def test_a_write_the_store_acknowledged_survives_a_sigkill_of_postgresql(infra, settings):
    """The store's half of "nothing lost": what FerretDB acknowledged is committed in PostgreSQL's WAL, so a killed
    postmaster loses none of it. The test profile ran with synchronous_commit off, and every kill here lost the
    write just made (the heal test above then waited for a vote its store had forgotten)."""
    if infra.kind != "local":
        pytest.skip("kills the local PostgreSQL under its supervisord; runs with the local servers")
    servers = local_servers()
    profile = servers.profile("test")
    supervisor = servers.supervisor(profile)
    writes = mongo.database(settings).durability_probe
    kills = 3
    for n in range(1, kills + 1):
        writes.insert_one({"_id": f"write-{n}"})  # acknowledged (w:1): FerretDB has PostgreSQL's commit
        old = supervisor.pid("postgresql")
        os.kill(old, signal.SIGKILL)
        wait_until(lambda old=old: supervisor.pid("postgresql") not in (None, old) and servers.pg_ready(profile),
                   RECOVERY_S, "postgresql restarted by supervisord")

        def counted() -> tuple[int] | None:
            try:
                return (writes.count_documents({}),)  # a tuple: a count of 0 is an answer too
            except PyMongoError:  # FerretDB's pooled connections to the killed server fail once each
                return None

        [stored] = wait_until(counted, RECOVERY_S, "the store answering again")
        assert stored == n, f"kill {n}: {n} writes acknowledged, {stored} kept"

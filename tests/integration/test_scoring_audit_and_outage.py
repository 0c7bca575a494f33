"""The audit finds an injected difference; a store outage makes the consumer wait, not lose votes."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace

import pytest
import requests

from services.scoring.store import bucket_from_doc
from shared import mongo
from tests.support.infra import local_servers
from tests.support.processes import ROOT, ServiceProcess, free_port
from tests.support.scoring import (
    ConsumerProcess,
    make_vote,
    now_utc,
    oracle,
    producer,
    scoring_env,
    send_votes,
    stored_figures,
    wait_until,
)


def run_audit(env: dict[str, str]) -> tuple[int, dict]:
    import os

    done = subprocess.run([sys.executable, "-m", "services.scoring.audit"], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300)
    return done.returncode, json.loads(done.stdout)


def test_audit_rebuilds_from_the_log_and_finds_an_injected_difference(settings):
    env = scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-"))
    rng = random.Random(11)
    acked = send_votes(producer(settings), settings.topics.votes, [make_vote(rng, now_utc()) for _ in range(1500)])
    expected = oracle(acked)
    db = mongo.database(settings)
    with ConsumerProcess(env):
        wait_until(lambda: stored_figures(db) == expected, 90, "votes applied")
        time.sleep(1)
    code, report = run_audit(env)
    assert code == 0 and report["differences"] == 0, report

    victim = db.scoring_buckets.find_one({})
    district, tally = next(iter(bucket_from_doc(victim).tallies.items()))
    tally.add(5, now_utc())  # one vote more than the log holds
    db.scoring_buckets.update_one({"_id": victim["_id"]}, {"$set": {f"d.{district}": tally.to_text()}})
    code, report = run_audit(env)
    assert code == 1
    assert [d["district_day"] for d in report["details"] if d["what"] == "bucket"] == [
        f"{district}:{victim['day']}"]


@pytest.fixture
def own_store(infra):
    if infra.kind != "local":
        pytest.skip("the outage test stops a document server of its own; it runs with the local servers")
    servers = local_servers()
    name = f"test-store-outage-{uuid.uuid4().hex[:6]}"
    # A FerretDB of its own (the one that goes down) on the suite's PostgreSQL, in a database of its own.
    profile = servers.Profile(name, 0, 0, free_port(), servers.profile("test").pg_port,
                              pg_database=name.replace("-", "_"))
    servers.start_ferretdb(profile)
    yield servers, profile
    servers.stop(profile)  # this FerretDB and its own supervisord
    servers.psql(profile, "-c", f"DROP DATABASE IF EXISTS {profile.pg_database} WITH (FORCE)")
    shutil.rmtree(profile.state, ignore_errors=True)


@pytest.mark.slow
def test_store_outage_retries_reports_not_ready_and_catches_up_exactly(own_store, settings):
    servers, profile = own_store
    s = replace(settings, mongo_uri=profile.mongo_uri)
    env = scoring_env(s, tempfile.mkdtemp(prefix="scoring-state-"), SCORING_BACKOFF_MAX_S="1",
                      SCORING_HEARTBEAT_STALE_S="10")
    rng = random.Random(5)
    p = producer(s)
    db = mongo.database(s)
    with ServiceProcess("services.scoring.wsgi:app", env) as web, ConsumerProcess(env) as consumer:
        acked = send_votes(p, s.topics.votes, [make_vote(rng, now_utc()) for _ in range(500)])
        wait_until(lambda: stored_figures(db) == oracle(acked), 60, "first votes applied")
        wait_until(lambda: requests.get(web.url + "/readyz", timeout=10).status_code == 200, 20, "ready")

        servers.stop_server(profile, "ferretdb")
        acked += send_votes(p, s.topics.votes, [make_vote(rng, now_utc()) for _ in range(1000)])
        wait_until(lambda: requests.get(web.url + "/readyz", timeout=10).status_code == 503, 30, "not ready")
        time.sleep(3)
        assert consumer.proc.poll() is None, consumer.output()

        servers.start_ferretdb(profile)
        expected = oracle(acked)
        wait_until(lambda: stored_figures(db) == expected, 90, "caught up after the outage")
        wait_until(lambda: requests.get(web.url + "/readyz", timeout=10).status_code == 200, 30, "ready again")
        metrics = requests.get(web.url + "/metrics", timeout=5).text
        assert 'stream_batch_failures_total{service="scoring"}' in metrics

"""With the broker stopped, no vote is reported accepted; after it returns, every 202 is in Kafka.

This test owns a Kafka broker of its own (ports chosen free), so stopping it harms no other test.
"""

from __future__ import annotations

import concurrent.futures
import shutil
import time
import uuid
from dataclasses import replace

import pytest
import requests

from shared import kafka
from tests.integration.ingest_env import AUTH, ingest_env
from tests.support.infra import local_servers
from tests.support.kafka_read import read_topic
from tests.support.processes import ServiceProcess, free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def own_broker(infra):
    if infra.kind != "local":
        pytest.skip("the outage test stops a broker of its own; it runs with the local servers")
    servers = local_servers()
    port = free_port()
    controller = free_port()
    profile = servers.Profile(f"test-outage-{uuid.uuid4().hex[:6]}", port, controller, 0)
    servers.start_kafka(profile)
    yield servers, profile
    servers.stop(profile)  # the broker and its own supervisord
    shutil.rmtree(profile.state, ignore_errors=True)


def post(url: str, i: int) -> requests.Response:
    return requests.post(url + "/v1/votes", json={"district_code": "3706", "score": i % 5 + 1},
                         headers={**AUTH, "Idempotency-Key": f"outage-{i}"}, timeout=30)


def test_broker_outage_gives_503_never_202_and_nothing_acknowledged_is_lost(own_broker, settings):
    servers, profile = own_broker
    s = replace(settings, kafka_bootstrap=profile.kafka_bootstrap)
    kafka.ensure_topics(s)
    accepted: dict[int, str] = {}
    env = ingest_env(s, PUBLISH_TIMEOUT_S="3")
    with ServiceProcess("services.ingest.wsgi:app", env) as svc:
        for i in range(20):
            r = post(svc.url, i)
            assert r.status_code == 202, r.text
            accepted[i] = r.json()["vote_id"]

        servers.stop_server(profile, "kafka")
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            during = list(pool.map(lambda i: post(svc.url, i), range(20, 36)))
        assert {r.status_code for r in during} == {503}, [r.text for r in during]
        assert all(r.json()["error"] == "kafka_unavailable" and int(r.headers["Retry-After"]) >= 1 for r in during)
        assert requests.get(svc.url + "/readyz", timeout=15).status_code == 503

        servers.start_kafka(profile)
        deadline = time.monotonic() + 90
        pending = list(range(20, 40))  # the refused votes retried with their keys, plus new ones
        while pending and time.monotonic() < deadline:
            i = pending[0]
            r = post(svc.url, i)
            if r.status_code == 202:
                accepted[i] = r.json()["vote_id"]
                pending.pop(0)
            else:
                assert r.status_code == 503, r.text
                time.sleep(1)
        assert not pending, f"ingest did not recover: {svc.output()}"

    in_topic = [e["vote_id"] for _, e in read_topic(s.kafka_bootstrap, s.topics.votes)]
    assert set(accepted.values()) <= set(in_topic)
    # A refused attempt may reach the log after all; its retry then carries the same vote_id,
    # so the number of distinct votes is exactly what was acknowledged.
    assert set(in_topic) == set(accepted.values())

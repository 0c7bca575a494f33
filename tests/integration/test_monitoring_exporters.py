"""The servers' metrics endpoints survive the servers being started again (as `make run` and the suite do)."""

from __future__ import annotations

import pytest
import requests

from tests.support.infra import local_servers


def test_starting_the_servers_again_keeps_the_broker_and_its_metrics_agent(infra):
    if infra.kind != "local":
        pytest.skip("the local servers only")
    servers = local_servers()
    profile = servers.profile("test")
    metrics = f"http://127.0.0.1:{servers.exporters.kafka_metrics_port(profile.kafka_port)}/metrics"
    before = servers.running_pid(profile, "kafka")
    assert before and requests.get(metrics, timeout=10).status_code == 200
    # Our own agent holds the metrics port: a second start must not take that for a foreign process, write
    # the broker's program without the agent, and have supervisord restart the broker unscraped.
    servers.start(profile)
    assert servers.running_pid(profile, "kafka") == before
    assert "jvm_memory" in requests.get(metrics, timeout=10).text

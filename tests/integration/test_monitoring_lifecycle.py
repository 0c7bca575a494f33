"""Prometheus as deploy/monitoring/launch.py runs it: its lifecycle and admin APIs are off, so no local caller
can stop it, reload it or delete its data."""

from __future__ import annotations

import sys
import tempfile

import requests

from tests.support.monitoring import LAUNCH, wait_for
from tests.support.processes import ManagedProcess, free_port


def test_prometheus_refuses_quit_reload_and_admin_calls():
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"SANGSUK_VAR": tempfile.mkdtemp(prefix="monitoring-"), "SANGSUK_PROMETHEUS_PORT": str(port),
           "SANGSUK_ALERTMANAGER_PORT": str(free_port())}
    process = ManagedProcess([sys.executable, str(LAUNCH), "prometheus", "--profile", "test"], env,
                             log_prefix="prometheus-")
    process.start()
    try:
        wait_for(lambda: requests.get(url + "/-/ready", timeout=2).status_code == 200, 60, process.output())
        for path in ("/-/quit", "/-/reload"):
            assert requests.post(url + path, timeout=5).status_code == 403, path
        admin = requests.post(url + "/api/v1/admin/tsdb/delete_series", params={"match[]": "up"}, timeout=5)
        assert "admin APIs disabled" in admin.text, admin.text
        assert requests.get(url + "/-/ready", timeout=5).status_code == 200  # still up
    finally:
        process.stop()

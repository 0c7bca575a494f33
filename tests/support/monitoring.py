"""Prometheus and Alertmanager as real processes for a test, started by deploy/monitoring/launch.py (test profile:
2 s scrapes, 1 s evaluations) on free ports with their data in a temporary folder."""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable

import requests

from tests.support.processes import ROOT, ManagedProcess, free_port

LAUNCH = ROOT / "deploy" / "monitoring" / "launch.py"


def wait_for(condition: Callable[[], object], timeout_s: float, what: str, every_s: float = 0.5):
    """The condition's first truthy value, or an AssertionError naming what never came."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = condition()
        except requests.RequestException:
            value = None
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


class MonitoringStack:
    """Prometheus scraping the given services (name -> host:port) plus Kafka's and FerretDB's exporters,
    alerting to its own Alertmanager."""

    def __init__(self, targets: dict[str, str], **env: str):
        self.prometheus_port, self.alertmanager_port = free_port(), free_port()
        self.prometheus = f"http://127.0.0.1:{self.prometheus_port}"
        self.alertmanager = f"http://127.0.0.1:{self.alertmanager_port}"
        env = {"SANGSUK_VAR": tempfile.mkdtemp(prefix="monitoring-"),
               "SANGSUK_PROMETHEUS_PORT": str(self.prometheus_port),
               "SANGSUK_ALERTMANAGER_PORT": str(self.alertmanager_port), **env}
        flags = [arg for name, address in targets.items() for arg in ("--target", f"{name}={address}")]
        self.processes = [ManagedProcess([sys.executable, str(LAUNCH), program, "--profile", "test", *flags], env,
                                         log_prefix=f"{program}-") for program in ("alertmanager", "prometheus")]

    def __enter__(self) -> MonitoringStack:
        for process in self.processes:
            process.start()
        try:
            for url in (self.alertmanager, self.prometheus):
                wait_for(lambda url=url: requests.get(url + "/-/ready", timeout=2).status_code == 200, 60,
                         f"{url} ready\n" + "\n".join(p.output() for p in self.processes))
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.stop()

    def query(self, promql: str) -> dict:
        """Prometheus's answer to an instant query (`status`, `data.result`), whatever the status."""
        return requests.get(self.prometheus + "/api/v1/query", params={"query": promql}, timeout=10).json()

    def values(self, promql: str) -> list[dict]:
        answer = self.query(promql)
        assert answer["status"] == "success", answer
        return answer["data"]["result"]

    def targets(self) -> list[dict]:
        return requests.get(self.prometheus + "/api/v1/targets", timeout=10).json()["data"]["activeTargets"]

    def alertmanager_alerts(self, alertname: str) -> list[dict]:
        """Alerts Alertmanager holds as active (a resolved alert leaves this list)."""
        return requests.get(self.alertmanager + "/api/v2/alerts", params={"filter": f'alertname="{alertname}"'},
                            timeout=10).json()

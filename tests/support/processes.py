"""Run a service under gunicorn as a real process, for tests that post over HTTP or kill processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServiceProcess:
    def __init__(self, module: str, env: dict[str, str], *, workers: int = 2, threads: int = 8):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="svc-", suffix=".log", delete=False)  # noqa: SIM115
        self.metrics_dir = tempfile.mkdtemp(prefix="svc-metrics-")
        self.env = {**os.environ, **env, "BIND": f"127.0.0.1:{self.port}", "WEB_WORKERS": str(workers),
                    "WEB_THREADS": str(threads), "PROMETHEUS_MULTIPROC_DIR": self.metrics_dir}
        self.argv = [sys.executable, "-m", "gunicorn", "-c", "python:shared.gunicorn_conf", module]
        self.proc: subprocess.Popen | None = None

    def start(self, timeout_s: float = 30) -> ServiceProcess:
        self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"service exited at start:\n{self.output()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except (requests.ConnectionError, requests.Timeout):  # a busy machine may accept before answering
                pass
            time.sleep(0.2)
        raise RuntimeError(f"service did not answer /healthz:\n{self.output()}")

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-5000:]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

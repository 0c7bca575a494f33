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


class ManagedProcess:
    """A real OS process in its own session, with its output in a log file: stoppable, killable."""

    def __init__(self, argv: list[str], env: dict[str, str], *, log_prefix: str, cwd: Path = ROOT):
        """`cwd` is where `python -m` finds its modules first: a benchmark points it at a worktree of an
        older commit to run that commit's code."""
        self.argv = argv
        self.cwd = cwd
        self.env = {**os.environ, **env}
        self.log = tempfile.NamedTemporaryFile(prefix=log_prefix, suffix=".log", delete=False)  # noqa: SIM115
        self.proc: subprocess.Popen | None = None

    def spawn(self) -> None:
        self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def start(self):
        self.spawn()
        return self

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-5000:]

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class ServiceProcess(ManagedProcess):
    """A service under gunicorn on a free port, started once it answers /healthz."""

    def __init__(self, module: str, env: dict[str, str], *, workers: int = 2, threads: int = 8):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.metrics_dir = tempfile.mkdtemp(prefix="svc-metrics-")
        super().__init__(
            [sys.executable, "-m", "gunicorn", "-c", "python:shared.gunicorn_conf", module],
            {**env, "BIND": f"127.0.0.1:{self.port}", "WEB_WORKERS": str(workers), "WEB_THREADS": str(threads),
             "PROMETHEUS_MULTIPROC_DIR": self.metrics_dir},
            log_prefix="svc-",
        )

    def start(self, timeout_s: float = 60) -> ServiceProcess:
        self.spawn()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"service exited at start:\n{self.output()}")
            try:
                if requests.get(self.url + "/healthz", timeout=3).status_code == 200:
                    return self
            except requests.RequestException:  # not listening yet, or bound while the workers still boot
                pass
            time.sleep(0.2)
        self.stop()  # __exit__ never runs when __enter__ raises: do not leave the server behind
        raise RuntimeError(f"service did not answer /healthz:\n{self.output()}")

"""What a manifest declares is what runs: `make run`'s starter (programs of a supervisord) and the image's
default command both start scoring's web process and its consumer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import replace

import requests

from tests.support.processes import ROOT, free_port
from tests.support.scoring import scoring_env, wait_until
from tests.support.supervised import alive, local_services, own_supervisor


def _status(url: str) -> int | None:
    try:
        return requests.get(url, timeout=10).status_code
    except requests.RequestException:  # still booting, or a busy machine: ask again
        return None


def test_scoring_starts_with_its_consumer_and_stops(settings, monkeypatch, tmp_path):
    starter = local_services()
    for name, value in scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-")).items():
        monkeypatch.setenv(name, value)
    manifest = next(m for m in starter.manifests() if m.name == "scoring")
    port = free_port()
    with own_supervisor(tmp_path) as supervisor:
        starter.start_service(supervisor, str(ROOT / ".venv" / "bin" / "python"), replace(manifest, port=port),
                              tmp_path)
        pids = [supervisor.pid("scoring"), supervisor.pid("scoring-consumer")]
        assert all(pids), supervisor.infos()
        # Ready means the web process sees the consumer's heartbeat: both run, sharing the state directory.
        wait_until(lambda: _status(f"http://127.0.0.1:{port}/readyz") == 200, 60, "scoring ready")
        starter.stop(supervisor)
        assert supervisor.infos() == {}  # the programs are gone from the supervisor, not merely stopped
        assert not any(alive(pid) for pid in pids)
        assert _status(f"http://127.0.0.1:{port}/healthz") is None


def test_the_image_command_runs_every_declared_process_and_stops_them_together(settings):
    port = free_port()
    env = {**scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-")), "BIND": f"127.0.0.1:{port}",
           "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="scoring-web-metrics-")}
    launcher = subprocess.Popen([sys.executable, "-m", "shared.launch", "scoring"], cwd=ROOT, env={**os.environ, **env},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        # Ready needs both: the web process answers, and it sees the consumer's heartbeat.
        wait_until(lambda: _status(f"http://127.0.0.1:{port}/readyz") == 200, 90, "web and consumer up")
        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(timeout=60) == 0
        assert _status(f"http://127.0.0.1:{port}/healthz") is None
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)

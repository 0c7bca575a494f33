"""`make run`'s service starter runs what a manifest declares: scoring's web process and its consumer."""

from __future__ import annotations

import importlib.util
import tempfile
from dataclasses import replace

import requests

from tests.support.processes import ROOT, free_port
from tests.support.scoring import scoring_env, wait_until


def _starter(monkeypatch, state):
    spec = importlib.util.spec_from_file_location("local_services", ROOT / "deploy" / "local" / "services.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "STATE", state)
    return module


def _status(url: str) -> int | None:
    try:
        return requests.get(url, timeout=10).status_code
    except requests.RequestException:  # still booting, or a busy machine: ask again
        return None


def test_scoring_starts_with_its_consumer_and_stops(settings, monkeypatch, tmp_path):
    starter = _starter(monkeypatch, tmp_path)
    for name, value in scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-")).items():
        monkeypatch.setenv(name, value)
    manifest = next(m for m in starter.manifests() if m.name == "scoring")
    port = free_port()
    try:
        starter.start_service(str(ROOT / ".venv" / "bin" / "python"), replace(manifest, port=port))
        assert starter._pid("scoring") and starter._pid("scoring-consumer")
        # Ready means the web process sees the consumer's heartbeat: both run, sharing the state directory.
        wait_until(lambda: _status(f"http://127.0.0.1:{port}/readyz") == 200, 60, "scoring ready")
    finally:
        starter.stop()
    assert starter._pid("scoring") is None and starter._pid("scoring-consumer") is None
    assert not list(tmp_path.glob("*.pid"))

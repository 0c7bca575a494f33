"""`make run`'s service starter runs notify as its manifest declares: web, consumer and dispatcher,
ready once the consumer's heartbeat is fresh; /readyz says which transport is off and why."""

from __future__ import annotations

import tempfile
from dataclasses import replace

import requests

from tests.integration.notify_env import notify_env
from tests.support.processes import ROOT, free_port
from tests.support.scoring import wait_until
from tests.support.supervised import local_services, own_supervisor


def _status(url: str) -> dict | None:
    try:
        r = requests.get(url, timeout=10)
        return r.json() if r.status_code == 200 else None
    except requests.RequestException:  # still booting: ask again
        return None


def test_notify_starts_its_three_processes_and_says_line_is_off(settings, monkeypatch, tmp_path):
    starter = local_services()
    env = notify_env(settings, line_url="http://127.0.0.1:9", smtp_port=free_port(),
                     NOTIFY_STATE_DIR=tempfile.mkdtemp(prefix="notify-state-"),
                     NOTIFY_GROUP_ID=f"notify-{settings.mongo_db}", VOTES_PARTITIONS=str(settings.votes_partitions))
    env.pop("LINE_CHANNEL_ACCESS_TOKEN")
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN_FILE", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    manifest = next(m for m in starter.manifests() if m.name == "notify")
    port = free_port()
    with own_supervisor(tmp_path) as supervisor:
        starter.start_service(supervisor, str(ROOT / ".venv" / "bin" / "python"), replace(manifest, port=port),
                              tmp_path)
        # start_service returns once the web process listens; the other two reach RUNNING after their own
        # two start seconds, a moment later under load.
        wait_until(lambda: all(supervisor.pid(name) for name in ("notify", "notify-consumer", "notify-dispatcher")),
                   30, "notify's three processes running")
        wait_until(lambda: _status(f"http://127.0.0.1:{port}/readyz") is not None, 90, "notify ready")
        body = _status(f"http://127.0.0.1:{port}/readyz")
        assert body["checks"] == {"store": True, "consumer": True}
        assert body["detail"]["transports"]["line"].startswith("off: LINE_CHANNEL_ACCESS_TOKEN is not set")
        assert body["detail"]["transports"]["email"] == "on"
        log = (supervisor.logs / "notify-dispatcher.log").read_text()
        assert "transport off" in log and "LINE_CHANNEL_ACCESS_TOKEN" in log
        starter.stop(supervisor)
        assert supervisor.infos() == {}

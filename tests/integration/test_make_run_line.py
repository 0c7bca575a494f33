"""make run's LINE as a developer meets it: the stand-in program (`line`) that deploy/local/services.py starts, ingest
with the LINE settings it gives, the proxy between them (LINE reaches the public address); a text typed on the
stand-in's page comes back as the bot's answer with its buttons, every webhook signed with the dev channel secret."""

from __future__ import annotations

from dataclasses import replace

import requests

from shared.cli import dev_secrets
from tests.integration.ingest_env import ingest_env
from tests.support.line_api import user_id
from tests.support.processes import ROOT, free_port
from tests.support.scoring import wait_until
from tests.support.supervised import local_services, own_supervisor


def test_the_stand_in_make_run_starts_talks_to_ingest_through_the_proxy(settings, monkeypatch, tmp_path):
    starter = local_services()
    dev_secrets(tmp_path / "secrets")  # what `make secrets` writes, the LINE pair included
    proxy_port, line_port = free_port(), free_port()
    monkeypatch.setattr(starter, "DEV_SECRETS", tmp_path / "secrets")
    monkeypatch.setattr(starter, "LINE_STANDIN_PORT", line_port)
    monkeypatch.delenv("LINE_API_HOST", raising=False)
    for name, value in {**ingest_env(settings), "PUBLIC_BASE_URL": f"http://127.0.0.1:{proxy_port}"}.items():
        monkeypatch.setenv(name, value)
    manifest = replace(next(m for m in starter.manifests() if m.name == "ingest"), port=free_port())
    python = str(ROOT / ".venv" / "bin" / "python")
    with own_supervisor(tmp_path / "sup") as supervisor:
        starter.apply(supervisor, starter.service_programs(python, manifest, tmp_path, starter.line_env()))
        starter.apply(supervisor, [starter.proxy_program(manifest, tmp_path, proxy_port),
                                   starter.line_program(python, tmp_path)])
        page = f"http://127.0.0.1:{line_port}"
        wait_until(lambda: _ok(f"http://127.0.0.1:{proxy_port}/healthz") and _ok(page + "/healthz"), 60,
                   "ingest behind the proxy, and the stand-in")
        assert "LINE จำลอง" in requests.get(page + "/", timeout=5).text
        citizen = user_id()
        said = requests.post(f"{page}/chat/{citizen}/say", json={"text": "โหวต 3706"}, timeout=30)
        assert said.status_code == 200 and said.json() == {"status": 200}
        [mine, bot] = requests.get(f"{page}/chat/{citizen}", timeout=5).json()["entries"]
        assert (mine["who"], bot["who"]) == ("citizen", "bot")
        assert bot["text"].startswith("อ.หัวตะพาน จ.อำนาจเจริญ")
        assert [b["label"] for b in bot["buttons"]][:2] == ["5 พอใจมาก", "4 พอใจ"]


def _ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False

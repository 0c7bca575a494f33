"""`make run`'s programs as supervisord will read them: every manifest process and the stack's own programs,
each restarted when it dies, stopped with its whole process group, logged under the profile's folder."""

from __future__ import annotations

import json
import stat
import subprocess
import sys

import pytest

from shared.manifest import manifests
from tests.support.supervised import local_services


def test_every_declared_process_is_a_supervised_program_with_its_environment(tmp_path, monkeypatch):
    services = local_services()
    monkeypatch.setenv("SMTP_PORT", "2525")
    monkeypatch.delenv("LINE_API_HOST", raising=False)
    supervisor = services.Supervisor(tmp_path)
    programs = [p for m in manifests() for p in services.service_programs("/venv/python", m, tmp_path / "svc")]
    programs += services.local_programs("/venv/python", tmp_path / "svc")
    expected = {m.name if process == "web" else f"{m.name}-{process}" for m in manifests() for process in m.processes}
    assert {p.name for p in programs} == expected | {"mail", "line", "proxy", "prometheus", "alertmanager"}
    for program in programs:
        supervisor.write("service", program)
        text = (supervisor.programs / f"service-{program.name}.conf").read_text()
        for setting in ("autostart=true", "autorestart=true", "stopasgroup=true", "killasgroup=true",
                        f"stdout_logfile={tmp_path / 'logs' / program.name}.log"):
            assert setting in text.splitlines(), (program.name, setting)
    ingest = next(p for p in programs if p.name == "ingest")
    assert stat.S_IMODE(ingest.env_file.stat().st_mode) == 0o600
    env = json.loads(ingest.env_file.read_text())
    assert env["BIND"].startswith("127.0.0.1:") and env["TRUSTED_PROXY_HOPS"] == "1"
    mail = next(p for p in programs if p.name == "mail")
    assert mail.argv[-2:] == ["--port", "2525"]
    # LINE: the services talk to the stand-in with the dev channel's secret and token; it signs webhooks to ingest.
    line = next(p for p in programs if p.name == "line")
    assert line.argv[1:3] == ["-m", "services.channels.linedev"] and "/v1/channels/line/webhook" in line.argv[6]
    assert env["LINE_API_HOST"] == "http://127.0.0.1:8086" and env["LINE_CHANNEL_SECRET_FILE"] == line.argv[8]
    monkeypatch.setenv("LINE_API_HOST", "https://api.line.me")  # a real channel of the developer's: no stand-in
    assert "line" not in {p.name for p in services.local_programs("/venv/python", tmp_path / "svc")}
    for name in ("prometheus", "alertmanager"):  # the launcher renders the run profile's configuration, then execs
        launcher = next(p for p in programs if p.name == name)
        assert launcher.argv[1].endswith("deploy/monitoring/launch.py")
        assert launcher.argv[2:] == [name, "--profile", "run"]


def test_a_changed_environment_changes_the_program_so_update_restarts_it(tmp_path, monkeypatch):
    services = local_services()
    scoring = next(m for m in manifests() if m.name == "scoring")
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    before = services.service_programs("/venv/python", scoring, tmp_path)[0]
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    after = services.service_programs("/venv/python", scoring, tmp_path)[0]
    assert before.environment != after.environment


def test_supervisord_settings_are_escaped_or_refused(tmp_path):
    supervision = local_services().servers.supervision
    text = supervision.render_program(supervision.Program("x", ["echo", "100%"], environment={"A": "5%"}), tmp_path)
    assert "command=echo 100%%" in text and 'environment=A="5%%"' in text
    with pytest.raises(ValueError, match="env_file"):
        supervision.render_program(supervision.Program("x", ["true"], environment={"K": '{"a": 1}'}), tmp_path)


def test_with_env_runs_the_program_with_exactly_the_kept_environment(tmp_path):
    supervision = local_services().servers.supervision
    path = supervision.write_env_file(tmp_path / "env.json", {"ONLY": 'a "quoted", value', "PATH": "/usr/bin:/bin"})
    out = subprocess.run([sys.executable, str(supervision.WITH_ENV), str(path), "env"], capture_output=True,
                         text=True, check=True).stdout
    assert sorted(out.splitlines()) == ["ONLY=a \"quoted\", value", "PATH=/usr/bin:/bin"]

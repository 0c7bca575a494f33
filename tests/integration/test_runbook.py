"""docs/runbook.md followed against a running stack: every log path it names is where the programs really log,
every grep it gives matches the lines the logs really write, every command it gives runs.

The suite's own servers (the test profile's supervisord, whose state folder stands for make run's var/run/) with
ingest and scoring joined to it as `make run` adds them; the runbook's `var/run/` is read as that folder.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from tests.integration.ingest_env import ingest_env
from tests.support import line_api as line
from tests.support.infra import local_servers
from tests.support.processes import ROOT, free_port
from tests.support.scoring import scoring_env, wait_until
from tests.support.supervised import local_services

pytestmark = pytest.mark.slow
RUNBOOK = ROOT / "docs" / "runbook.md"
LOG_PATH = re.compile(r"(var/run/[^`\s']+\.log)")
LEVEL_MENTION = re.compile(r'"level"\s*:\s*"?[^",`]*"?')
GREP = re.compile(r"`grep '([^']+)' (var/run/logs/[^`\s]+)`")
LEVELS = {"debug", "info", "warning", "error", "critical"}  # shared.logs.JsonFormatter: levelname.lower()


def sections() -> dict[str, str]:
    text = RUNBOOK.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    return {"(introduction)": parts[0], **{p.split("\n", 1)[0]: p for p in parts[1:]}}


def declared_programs(starter) -> set[str]:
    """Every program `make run` runs: the manifests' processes, the stack's own, the servers."""
    names = {starter.program_name(m, process) for m in starter.manifests() for process in m.processes}
    return names | {"mail", "line", "proxy", "prometheus", "alertmanager", "kafka", "ferretdb", "postgresql"}


def expand(path: str, running: set[str]) -> list[str]:
    """A path with a placeholder, for each running program it can name."""
    if "<service>-<process>" in path:
        return [path.replace("<service>-<process>", p) for p in running if "-" in p and p != "scoring"]
    if "<service>" in path or "<program>" in path:
        return [re.sub(r"<service>|<program>", p, path) for p in running]
    return [path]


def test_every_runbook_path_grep_and_command_against_the_running_stack(infra, settings, monkeypatch, tmp_path):
    if infra.kind != "local":
        pytest.skip("reads the local servers' supervisord logs; runs with the local servers")
    servers = local_servers()
    profile = servers.profile("test")
    supervisor = servers.supervisor(profile)
    starter = local_services()
    env = {**ingest_env(settings, LINE_CHANNEL_SECRET=line.TEST_CHANNEL_SECRET,
                        LINE_CHANNEL_ACCESS_TOKEN=line.TEST_ACCESS_TOKEN, LINE_API_HOST="http://127.0.0.1:9"),
           **scoring_env(settings, str(tmp_path / "scoring-state"))}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    by_name = {m.name: m for m in starter.manifests()}
    ingest, scoring = (replace(by_name[name], port=free_port()) for name in ("ingest", "scoring"))
    python = str(ROOT / ".venv" / "bin" / "python")
    var_run = profile.state  # the runbook's var/run/, for this profile

    def local(path: str) -> Path:
        return var_run / path.removeprefix("var/run/")

    try:
        for manifest in (ingest, scoring):
            starter.start_service(supervisor, python, manifest, tmp_path)
        running = set(supervisor.infos())
        assert {"ingest", "scoring", "scoring-consumer", "kafka", "ferretdb", "postgresql"} <= running
        # Something for the greps to find: a forged LINE webhook is a warning in ingest's log.
        body = line.payload(line.follow(line.user_id()))
        forged = requests.post(f"http://127.0.0.1:{ingest.port}/v1/channels/line/webhook", data=body, timeout=10,
                               headers={"X-Line-Signature": line.sign(body, "forged")})
        assert forged.status_code == 401
        wait_until(lambda: "bad signature" in local("var/run/logs/ingest.log").read_text(), 30, "the warning logged")

        declared, walked = declared_programs(starter), []
        for title, text in sections().items():
            for path in LOG_PATH.findall(text):
                for concrete in expand(path, running):
                    program = Path(concrete).stem
                    assert program in declared, (title, concrete, "names no program of make run")
                    assert local(concrete).parent == supervisor.logs, (title, concrete)
                    if program in running:
                        assert local(concrete).is_file(), (title, concrete, sorted(supervisor.logs.iterdir()))
                    walked.append(concrete)
            for mention in LEVEL_MENTION.findall(text):  # as the JSON lines write it: `"level": "error"`
                assert re.fullmatch(r'"level": "(debug|info|warning|error|critical)"', mention), (
                    title, mention)
            for pattern, _path in GREP.findall(text):
                level = re.fullmatch(r'"level": "(\w+)"', pattern)
                if level:  # the spelling every program's JSON lines use, checked on a real line of ingest's log
                    assert level.group(1) in LEVELS, (title, pattern)
                    real = pattern.replace(level.group(1), "warning")
                    found = subprocess.run(["grep", "-F", real, str(local("var/run/logs/ingest.log"))],
                                           capture_output=True, text=True)
                    assert found.returncode == 0, (title, pattern, local("var/run/logs/ingest.log").read_text()[-2000:])
                    assert json.loads(found.stdout.splitlines()[-1])["level"] == "warning"
                else:  # a message: one the services do log
                    sources = "".join(p.read_text() for p in (ROOT / "services").rglob("*.py"))
                    assert re.search(r"log\.\w+\(\s*\"" + re.escape(pattern) + '"', sources), (title, pattern)
                walked.append(f"grep {pattern}")
            if "servers.py status" in text or "make status" in text:
                status = subprocess.run([sys.executable, "deploy/local/servers.py", "status", "--profile", "test"],
                                        cwd=ROOT, capture_output=True, text=True, env=os.environ)
                assert status.returncode == 0 and "ingest" in status.stdout, (title, status.stdout, status.stderr)
            if "curl 127.0.0.1:<port>/healthz" in text:
                assert requests.get(f"http://127.0.0.1:{ingest.port}/healthz", timeout=5).status_code == 200
            if "localhost:8084/v1/alerts" in text:
                assert by_name["notify"].port == 8084 and "var/secrets/central-office.key" in text
                makefile = (ROOT / "Makefile").read_text()
                assert "CENTRAL_OFFICE_KEYS_FILE ?= $(CURDIR)/$(SECRETS)/central-office.key" in makefile
            for target in re.findall(r"`make (\w[\w-]*)", text):
                assert re.search(rf"^{target}:", (ROOT / "Makefile").read_text(), re.MULTILINE), (title, target)
        assert "var/run/logs/ingest.log" in walked and "var/run/logs/scoring-consumer.log" in walked
        # var/run/mail/: where make run's mail server keeps every mail (chiefs' and Alertmanager's).
        mail = next(p for p in starter.local_programs(python, tmp_path / "services") if p.name == "mail")
        assert "var/run/mail/" in sections()["(introduction)"]
        assert mail.argv[mail.argv.index("--dir") + 1] == str(tmp_path / "mail")
        assert starter.run_state().parent.parent == ROOT / "var"  # var/run (var/run-<ports> when ports move)
        assert starter.run_state().parent.name.startswith("run")
    finally:
        starter.stop(supervisor)

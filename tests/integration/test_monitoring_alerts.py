"""An alert end to end: Prometheus (launched as make run launches it, 2 s scrapes) scrapes a real ingest; ingest
stops; ServiceDown (the rules file's, `for: 1m`) reaches Alertmanager's API and, by mail, the local mail server (as
under make run, where a developer reads it in var/run/mail/); ingest starts again on its port; the alert resolves,
leaves Alertmanager, and the resolution is mailed too."""

from __future__ import annotations

import time

import pytest
import requests

from services.notify import devmail
from tests.integration.ingest_env import ingest_env
from tests.support.monitoring import MonitoringStack, wait_for
from tests.support.processes import ServiceProcess, free_port

pytestmark = pytest.mark.slow


def up(stack: MonitoringStack, job: str) -> float | None:
    result = stack.values(f'up{{job="{job}"}}')
    return float(result[0]["value"][1]) if result else None


def mails_about(keeper, alertname: str) -> list:
    return [m for _to, m in keeper.parsed() if alertname in str(m["Subject"])]


def test_a_stopped_service_alerts_at_alertmanager_then_resolves(settings, tmp_path):
    ingest = ServiceProcess("services.ingest.wsgi:app", ingest_env(settings), workers=1, threads=2).start()
    smtp_port = free_port()
    mail_server, keeper = devmail.start(tmp_path / "mail", smtp_port)
    try:
        with MonitoringStack({"ingest": f"127.0.0.1:{ingest.port}"}, SMTP_HOST="127.0.0.1",
                             SMTP_PORT=str(smtp_port)) as stack:
            wait_for(lambda: up(stack, "ingest") == 1, 60, "ingest scraped")
            assert stack.alertmanager_alerts("ServiceDown") == []

            ingest.stop()
            stopped_at = time.monotonic()
            wait_for(lambda: up(stack, "ingest") == 0, 30, "the scrape failing")
            alerts = wait_for(lambda: stack.alertmanager_alerts("ServiceDown"), 150, "ServiceDown at Alertmanager")
            waited = time.monotonic() - stopped_at
            assert [a["labels"]["job"] for a in alerts] == ["ingest"]
            alert = alerts[0]
            assert alert["status"]["state"] == "active"
            assert alert["labels"]["severity"] == "page"
            assert alert["annotations"]["runbook_url"] == "docs/runbook.md#servicedown"
            assert waited >= 55, f"ServiceDown holds a minute before firing; it reached Alertmanager in {waited:.0f} s"
            [mail] = wait_for(lambda: mails_about(keeper, "ServiceDown"), 60, "ServiceDown mailed")
            assert "FIRING" in str(mail["Subject"]) and "docs/runbook.md#servicedown" in mail.as_string()
            assert any(p.name.endswith(".eml") for p in (tmp_path / "mail").iterdir())  # kept where one reads it

            ingest.spawn()  # the same command, on the same port
            wait_for(lambda: requests.get(ingest.url + "/healthz", timeout=2).status_code == 200, 60, "ingest back")
            wait_for(lambda: up(stack, "ingest") == 1, 30, "ingest scraped again")
            wait_for(lambda: stack.alertmanager_alerts("ServiceDown") == [], 90, "ServiceDown resolved")
            assert stack.values('ALERTS{alertname="ServiceDown"}') == []
            wait_for(lambda: any("RESOLVED" in str(m["Subject"]) for m in mails_about(keeper, "ServiceDown")), 60,
                     "the resolution mailed")
    finally:
        ingest.stop()
        mail_server.stop()

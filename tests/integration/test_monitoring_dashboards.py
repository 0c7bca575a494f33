"""Every dashboard panel's query, run against a real Prometheus (launched as make run launches it) that scraped the
real services after real votes: votes posted through ingest, scored, ranked, and alerted on by notify, whose
e-mails reach a real mail server. Each query must parse and return data, and every target must be up."""

from __future__ import annotations

import html
import importlib.util
import json
import math
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import pytest
import requests

from services.notify.directory import HEADER, parse_directory
from services.notify.store import NotifyStore
from shared import mongo
from shared.districts import load_registry
from tests.integration.ingest_env import AUTH, ingest_env
from tests.integration.notify_env import notify_env
from tests.support.monitoring import MonitoringStack, wait_for
from tests.support.notify_peers import MailServer
from tests.support.processes import ROOT, ManagedProcess, ServiceProcess
from tests.support.ranking import ranking_env
from tests.support.scoring import CODES, scoring_env

pytestmark = pytest.mark.slow
DASHBOARDS = sorted((ROOT / "deploy" / "monitoring" / "dashboards").glob("*.json"))
# Two rounds of traffic, each with two districts given ten unhappy votes (notify opens alerts and e-mails
# their chiefs): the first round creates the series, the second moves them while Prometheus watches, so that
# rates and quantiles have real values (a counter's first sample already holds its first round).
ROUNDS = (CODES[:2], CODES[2:4])
ALERTED = CODES[:4]


def dashboards_module():
    spec = importlib.util.spec_from_file_location("sangsuk_dashboards", ROOT / "deploy/monitoring/dashboards.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render_module():
    spec = importlib.util.spec_from_file_location("sangsuk_render", ROOT / "deploy/monitoring/render_overview.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def panel_queries() -> list[tuple[str, str, str]]:
    return [(path.stem, panel["title"], target["expr"]) for path in DASHBOARDS
            for panel in json.loads(path.read_text())["panels"] for target in panel.get("targets", [])]


def metric_names(expr: str) -> set[str]:
    from tests.unit.test_monitoring_rules import metric_names_in

    return {name for name in metric_names_in(expr) if ":" not in name}  # recording rules are checked by promtool


def process(module: str, env: dict[str, str], prefix: str) -> ManagedProcess:
    return ManagedProcess([sys.executable, "-m", module], env, log_prefix=prefix)


def post_traffic(ingest_url: str, alerted: tuple[str, ...]) -> int:
    """Votes of every kind ingest counts; returns how many were accepted."""
    accepted = 0
    for code in alerted:
        votes = [{"district_code": code, "score": 1 + i % 2} for i in range(10)]
        r = requests.post(ingest_url + "/v1/votes/batch", json={"votes": votes}, headers=AUTH, timeout=30)
        assert r.status_code == 200 and r.json()["accepted"] == 10, r.text
        accepted += 10
    for code in CODES[4:]:
        headers = {**AUTH, "Idempotency-Key": uuid.uuid4().hex}
        vote = {"district_code": code, "score": 5, "comment": "บริการดีมาก"}
        assert requests.post(ingest_url + "/v1/votes", json=vote, headers=headers, timeout=30).status_code == 202
        accepted += 1
        r = requests.post(ingest_url + "/v1/votes", json=vote, headers=headers, timeout=30)  # a retry: replayed
        assert r.status_code == 202, r.text
    r = requests.post(ingest_url + "/v1/votes", json={"district_code": "0000", "score": 5}, headers=AUTH, timeout=30)
    assert r.status_code == 422  # an unknown district: refused, counted by reason
    return accepted


def directory() -> str:
    rows = [",".join(HEADER)] + [f"chief,{code},นายอำเภอ {code},นายอำเภอ,,chief{code}@dopa.example,,,email,no"
                                 for code in ALERTED]
    return "\n".join(rows) + "\n"


def counter(stack: MonitoringStack, expr: str) -> float:
    result = stack.values(expr)
    return sum(float(r["value"][1]) for r in result)


@contextmanager
def pipeline(settings) -> Iterator[tuple[dict[str, ServiceProcess], MonitoringStack, MailServer]]:
    """Every service with all its processes, a mail server for notify, and Prometheus scraping them."""
    store = NotifyStore(mongo.database(settings))
    store.replace_directory(parse_directory(directory(), load_registry()))
    rules = Path(tempfile.mkdtemp(prefix="notify-rules-")) / "rules.toml"
    rules.write_text("[lifecycle]\ngroup_wait_s = 0\n")
    with ExitStack() as stack, MailServer() as mail:
        scoring = scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-"))
        ranking = ranking_env(settings)
        notify = notify_env(settings, line_url="http://127.0.0.1:9", smtp_port=mail.port,
                            NOTIFY_STATE_DIR=tempfile.mkdtemp(prefix="notify-state-"),
                            NOTIFY_GROUP_ID=f"notify-{settings.mongo_db}", NOTIFY_POLL_TIMEOUT_MS="200",
                            NOTIFY_RULES_FILE=str(rules), VOTES_PARTITIONS=str(settings.votes_partitions),
                            NOTIFY_DRAFT_GRACE_S="2")
        webs = {
            "ingest": ServiceProcess("services.ingest.wsgi:app", ingest_env(settings), workers=1, threads=4),
            "scoring": ServiceProcess("services.scoring.wsgi:app", scoring, workers=1, threads=2),
            "ranking": ServiceProcess("services.ranking.wsgi:app", ranking, workers=1, threads=2),
            "notify": ServiceProcess("services.notify.wsgi:app", notify, workers=1, threads=2),
        }
        for web in webs.values():
            stack.enter_context(web)
        for module, env in (("services.scoring.consumer", scoring), ("services.ranking.consumer", ranking),
                            ("services.notify.consumer", notify), ("services.notify.dispatch", notify)):
            stack.enter_context(process(module, env, module.rsplit(".", 2)[1] + "-"))
        monitoring = stack.enter_context(MonitoringStack({name: f"127.0.0.1:{web.port}" for name, web in webs.items()}))
        yield webs, monitoring, mail


def test_every_panel_query_returns_data_after_real_traffic(settings, tmp_path):
    assert DASHBOARDS, "no dashboards in deploy/monitoring/dashboards/"
    failure_counters = dashboards_module().FAILURE_COUNTERS
    with pipeline(settings) as (webs, monitoring, mail):
        accepted = 0
        for number, alerted in enumerate(ROUNDS, 1):
            accepted += post_traffic(webs["ingest"].url, alerted)
            delivered = number * len(alerted)
            wait_for(lambda: counter(monitoring, "scoring_votes_applied_total") >= accepted, 180,  # noqa: B023
                     f"every vote of round {number} scored")
            wait_for(lambda: counter(monitoring, "notify_messages_delivered_total") >= delivered, 180,  # noqa: B023
                     f"round {number}'s alert e-mails delivered")
        assert counter(monitoring, "ranking_events_applied_total") >= 1
        assert len(mail.keeper.messages) >= len(ALERTED)

        targets = monitoring.targets()
        assert {t["labels"]["job"] for t in targets} == {*webs, "kafka", "ferretdb", "prometheus", "alertmanager"}
        wait_for(lambda: all(t["health"] == "up" for t in monitoring.targets()), 30,
                 f"every target up: {[(t['labels']['job'], t['lastError']) for t in monitoring.targets()]}")

        queries = panel_queries()
        assert len(queries) >= 40
        for dashboard, title, expr in queries:
            answer = monitoring.query(expr)
            assert answer["status"] == "success", (dashboard, title, expr, answer)
        # Data: the last counters changed moments ago, and a rate needs two scrapes of them; a busy machine
        # may answer a scrape late. Every panel must have a number within the minute. On a quiet machine all of
        # ingest's requests can fall between two scrapes of it (its series then hold one sample, and a rate of
        # one sample is nothing; seen in 2 of 4 full runs): a last request after a scrape gives them a second.
        wait_for(lambda: counter(monitoring, 'http_requests_total{service="ingest"}') > 0, 60,
                 "a scrape of ingest's requests")
        post_traffic(webs["ingest"].url, ())
        with suppress(AssertionError):  # the assertion below says which panels
            wait_for(lambda: not without_data(monitoring, queries, failure_counters), 60, "every panel's data")
        missing = without_data(monitoring, queries, failure_counters)
        scrapes = [(t["labels"]["job"], t["health"], t["lastError"]) for t in monitoring.targets()]
        assert missing == [], "panels without data:\n" + "\n".join(map(str, missing)) + f"\ntargets: {scrapes}"

        # The overview as a picture (deploy/monitoring/render_overview.py: README's docs/img/overview.png).
        renderer = render_module()
        overview = json.loads((ROOT / "deploy/monitoring/dashboards/overview.json").read_text())
        page = renderer.page(monitoring.prometheus, overview, minutes=2)
        assert all(html.escape(panel["title"]) in page for panel in overview["panels"])
        empty = [section[:160] for section in page.split("<section")[1:] if "no data" in section]
        assert empty == [], empty
        renderer.screenshot(page, tmp_path / "overview.png")
        assert (tmp_path / "overview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def without_data(monitoring: MonitoringStack, queries: list[tuple[str, str, str]],
                 failure_counters: frozenset[str]) -> list[tuple[str, str, str]]:
    """The panels whose query returns no number (nothing, or only NaN: a quantile or ratio of nothing), or that
    read a metric Prometheus does not hold (a failure counter excepted: it exists from the first failure on,
    and its panel reads its absence as zero)."""
    missing = []
    for dashboard, title, expr in queries:
        if not any(math.isfinite(float(series["value"][1])) for series in monitoring.values(expr)):
            missing.append((dashboard, title, expr))
        for name in metric_names(expr) - failure_counters:
            if not monitoring.values(f'count({{__name__="{name}"}})'):
                missing.append((dashboard, title, name))
    return missing


def test_the_query_check_sees_a_query_that_does_not_parse_or_has_no_data():
    """The checks above can fail: a broken query is an error, a misspelt metric returns nothing."""
    with MonitoringStack({}) as monitoring:
        assert monitoring.query("sum by (job) (rate(up[5m])")["status"] == "error"
        assert monitoring.values("sum(rate(http_requests_totl[5m]))") == []
        assert metric_names("sum(rate(http_requests_totl[5m]))") == {"http_requests_totl"}

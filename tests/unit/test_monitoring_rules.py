"""The rules file (deploy/monitoring/rules/sangsuk.rules.yml): valid, unit-tested by promtool, every alert with a
firing and a quiet test case and a runbook section, and every metric it names really exported by our code."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
RULES = MONITORING / "rules" / "sangsuk.rules.yml"
RULE_TESTS = sorted((MONITORING / "tests").glob("*.yml"))
RUNBOOK = ROOT / "docs" / "runbook.md"
METRICS_MODULES = ("shared.metrics", "shared.stream.metrics", "services.ingest.metrics", "services.scoring.metrics",
                   "services.ranking.metrics", "services.ranking.web_metrics", "services.notify.metrics")
# Computed at scrape time (shared/stream/heartbeat.py's HeartbeatCollector), and Prometheus's own.
OTHER_METRICS = {"stream_consumer_heartbeat_age_seconds", "up"}
PROMQL_WORDS = {"sum", "rate", "increase", "deriv", "histogram_quantile", "max", "min", "avg", "count", "by",
                "on", "and", "or", "unless", "vector", "absent", "without", "ignoring", "group_left", "offset",
                "le", "humanize", "bool"}


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool is missing: `make monitoring` installs Debian's prometheus package, which ships it"
    return path


def rules() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def alerts() -> list[dict]:
    return [rule for rule in rules() if "alert" in rule]


def test_promtool_checks_the_rules_file():
    result = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("test_file", RULE_TESTS, ids=lambda p: p.name)
def test_promtool_unit_tests_pass(test_file: Path):
    result = subprocess.run([promtool(), "test", "rules", test_file.name], cwd=test_file.parent,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_every_alert_has_a_firing_and_a_quiet_case():
    firing: set[str] = set()
    quiet: set[str] = set()
    for test_file in RULE_TESTS:
        for case in yaml.safe_load(test_file.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
    names = {rule["alert"] for rule in alerts()}
    assert names - firing == set(), "alerts with no promtool case where they fire"
    assert names - quiet == set(), "alerts with no promtool case where they stay quiet"
    assert (firing | quiet) - names == set(), "promtool cases for alerts that do not exist"


def test_every_alert_has_a_runbook_section_and_points_at_it():
    sections = set(re.findall(r"^## (\S+)\s*$", RUNBOOK.read_text(), flags=re.MULTILINE))
    for rule in alerts():
        assert rule["alert"] in sections, f"docs/runbook.md has no '## {rule['alert']}' section"
        assert rule["annotations"]["runbook_url"] == f"docs/runbook.md#{rule['alert'].lower()}"
        assert rule["labels"]["severity"] in {"page", "ticket"}
        assert rule["annotations"].get("summary") and rule["annotations"].get("description")


def exported_metric_names() -> set[str]:
    from prometheus_client import REGISTRY

    for module in METRICS_MODULES:
        importlib.import_module(module)
    names = set(OTHER_METRICS)
    for collector in list(REGISTRY._collector_to_names):
        for family in collector.describe() if hasattr(collector, "describe") else collector.collect():
            kind = family.type
            base = family.name
            if kind == "counter":
                names.add(f"{base}_total")
            elif kind == "histogram":
                names.update({f"{base}_bucket", f"{base}_count", f"{base}_sum"})
            else:
                names.add(base)
    return names


def metric_names_in(expr: str) -> set[str]:
    """The series an expression reads: identifiers outside label matchers and grouping clauses."""
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\b(by|on|without|ignoring)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    words = set(re.findall(r"(?<![\w.:])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()", expr))
    return {word for word in words if word not in PROMQL_WORDS}


def test_every_metric_the_rules_name_is_exported_by_our_code():
    exported = exported_metric_names()
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    for rule in rules():
        unknown = metric_names_in(rule["expr"]) - exported - recorded
        assert not unknown, f"{rule.get('alert') or rule.get('record')} reads metrics no code exports: {unknown}"


def test_the_metric_name_check_can_fail():
    assert metric_names_in('sum by (service) (rate(http_requests_totl{status=~"5.."}[5m])) > 0') == {
        "http_requests_totl"}
    assert "http_requests_totl" not in exported_metric_names()


def test_an_alert_reading_a_recorded_series_comes_after_it_in_the_same_group():
    """Groups are evaluated independently (promtool even in a random order): an alert in another group would read
    the ratios of the previous evaluation, and its promtool case would pass or fail by chance."""
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        recorded_before: set[str] = set()
        for rule in group["rules"]:
            if "record" in rule:
                recorded_before.add(rule["record"])
                continue
            for name in metric_names_in(rule["expr"]):
                if ":" in name:
                    assert name in recorded_before, f"{rule['alert']} reads {name} before or outside its group"

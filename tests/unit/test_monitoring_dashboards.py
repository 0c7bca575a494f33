"""The Grafana dashboards: written from deploy/monitoring/dashboards.py (no hand edits drift), the four the issue
asks for, and every panel reads metrics our code exports (or the Kafka and FerretDB exporters' own)."""

from __future__ import annotations

import importlib.util
import json

from tests.unit.test_monitoring_rules import ROOT, exported_metric_names, metric_names_in

DASHBOARDS = ROOT / "deploy" / "monitoring" / "dashboards"
EXPORTERS = ("kafka_", "java_lang_", "process_")  # the JMX agent's and FerretDB's (Go client) metrics


def module():
    spec = importlib.util.spec_from_file_location("sangsuk_dashboards", ROOT / "deploy/monitoring/dashboards.py")
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def test_the_json_files_are_what_the_generator_writes():
    rendered = module().render()
    assert sorted(rendered) == sorted(p.name for p in DASHBOARDS.glob("*.json"))
    for name, text in rendered.items():
        assert (DASHBOARDS / name).read_text() == text, f"run python3 deploy/monitoring/dashboards.py ({name})"


def test_overview_ingest_pipeline_and_notify_each_with_queries():
    boards = {p.stem: json.loads(p.read_text()) for p in DASHBOARDS.glob("*.json")}
    assert set(boards) == {"overview", "ingest", "pipeline", "notify"}
    overview_titles = " ".join(panel["title"] for panel in boards["overview"]["panels"])
    assert "SLO" in overview_titles and "burn rate" in overview_titles
    for board in boards.values():
        assert len({panel["id"] for panel in board["panels"]}) == len(board["panels"])
        for panel in board["panels"]:
            assert panel["type"] == "alertlist" or panel["targets"], panel["title"]


def test_every_panel_reads_metrics_that_exist():
    exported = exported_metric_names()
    recorded = {rule["record"] for group in __import__("yaml").safe_load(
        (ROOT / "deploy/monitoring/rules/sangsuk.rules.yml").read_text())["groups"] for rule in group["rules"]
        if "record" in rule}
    failure_counters = module().FAILURE_COUNTERS
    assert failure_counters <= exported
    for path in DASHBOARDS.glob("*.json"):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                names = metric_names_in(target["expr"]) - exported - recorded
                unknown = {name for name in names if not name.startswith(EXPORTERS)}
                assert not unknown, (path.name, panel["title"], unknown)

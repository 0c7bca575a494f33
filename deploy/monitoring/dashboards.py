#!/usr/bin/env python3
"""The Grafana dashboards (dashboards/*.json), written from the short specification below.

`python3 deploy/monitoring/dashboards.py` rewrites the JSON files; tests/unit/test_monitoring_dashboards.py
fails when they differ from this file, and tests/integration/test_monitoring_dashboards.py runs every
panel's query against a Prometheus that scraped the real services after real votes.

A failure counter exists only after the first failure; its panel adds `or on() vector(0)` (no failure
is a zero), and FAILURE_COUNTERS lists those metrics so the query test knows them.
Stdlib only.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent / "dashboards"
FAILURE_COUNTERS = frozenset({
    "ingest_kafka_publish_failures_total", "ingest_store_failures_total", "stream_dead_letters_total",
    "notify_delivery_failures_total", "notify_dead_letters_total", "notify_unroutable_total",
})


def q(expr: str, legend: str = "") -> dict:
    return {"expr": expr, "legend": legend}


def p99(metric: str, by: str = "", where: str = "", quantile: str = "0.99") -> str:
    group = f"le, {by}" if by else "le"
    return f"histogram_quantile({quantile}, sum by ({group}) (rate({metric}_bucket{where}[5m])))"


def rate(metric: str, by: str = "", where: str = "", window: str = "5m", fn: str = "rate") -> str:
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} ({fn}({metric}{where}[{window}]))"


def failures(metric: str, by: str = "", window: str = "5m", fn: str = "rate") -> str:
    return f"{rate(metric, by, window=window, fn=fn)} or on() vector(0)"


AVAILABILITY_30D = "slo:ingest_availability_errors:ratio_rate30d"
FRESHNESS_30D = "slo:ingest_freshness_errors:ratio_rate30d"

DASHBOARDS = {
    "overview": ("Sang Suk: overview and SLOs", [
        ("stat", "Ingest availability, 30 d (SLO 99.9 %)", "percentunit", [q(f"1 - {AVAILABILITY_30D}")]),
        ("stat", "Availability error budget left, 30 d", "percentunit", [q(f"1 - {AVAILABILITY_30D} / 0.001")]),
        ("stat", "Ingest freshness, 30 d (SLO 99 % of votes scored within 30 s)", "percentunit",
         [q(f"1 - {FRESHNESS_30D}")]),
        ("stat", "Freshness error budget left, 30 d", "percentunit", [q(f"1 - {FRESHNESS_30D} / 0.01")]),
        ("timeseries", "Availability burn rate (1 = the budget lasts 30 days)", "none", [
            q("slo:ingest_availability_errors:ratio_rate1h / 0.001", "1 h"),
            q("slo:ingest_availability_errors:ratio_rate6h / 0.001", "6 h")]),
        ("timeseries", "Freshness burn rate (1 = the budget lasts 30 days)", "none", [
            q("slo:ingest_freshness_errors:ratio_rate1h / 0.01", "1 h"),
            q("slo:ingest_freshness_errors:ratio_rate6h / 0.01", "6 h")]),
        ("alertlist", "Firing alerts", "none", []),
        ("stat", "Targets up", "none", [q("up", "{{job}}")]),
        ("timeseries", "Requests per second by service", "reqps", [q(rate("http_requests_total", "service"),
                                                                     "{{service}}")]),
        ("timeseries", "5xx ratio by service", "percentunit", [q(
            '(sum by (service) (rate(http_requests_total{status=~"5.."}[5m]))'
            " or sum by (service) (rate(http_requests_total[5m])) * 0)"
            " / sum by (service) (rate(http_requests_total[5m]))", "{{service}}")]),
        ("timeseries", "Votes accepted per second by channel", "none", [
            q(rate("ingest_votes_accepted_total", "channel"), "{{channel}}")]),
        ("timeseries", "Vote to score and to leaderboard, p95", "s", [
            q(p99("scoring_end_to_end_seconds", quantile="0.95"), "vote to score"),
            q(f'{p99("scoring_end_to_end_seconds", quantile="0.95")} + on() '
              f'{p99("ranking_standing_age_seconds", quantile="0.95")}', "vote to leaderboard (estimate)")]),
        ("timeseries", "Consumer lag by group", "none", [q("sum by (service, topic) (stream_consumer_lag)",
                                                           "{{service}} {{topic}}")]),
    ]),
    "ingest": ("Sang Suk: ingest", [
        ("timeseries", "Requests per second by route and status", "reqps", [
            q(rate("http_requests_total", "route, status", '{service="ingest"}'), "{{route}} {{status}}")]),
        ("timeseries", "Vote requests p99 by route", "s", [
            q(p99("http_request_duration_seconds", "route", '{service="ingest",method="POST"}'), "{{route}}")]),
        ("timeseries", "Vote requests p50 by route", "s", [
            q(p99("http_request_duration_seconds", "route", '{service="ingest",method="POST"}', "0.5"),
              "{{route}}")]),
        ("timeseries", "Votes accepted by channel", "none", [
            q(rate("ingest_votes_accepted_total", "channel"), "{{channel}}")]),
        ("timeseries", "Votes refused by reason", "none", [
            q(rate("ingest_votes_rejected_total", "channel, reason"), "{{channel}} {{reason}}")]),
        ("timeseries", "Idempotent retries answered from the store", "none", [
            q(rate("ingest_votes_replayed_total", "channel"), "{{channel}}")]),
        ("timeseries", "Kafka publish p99 (acks=all)", "s", [
            q(p99("ingest_kafka_publish_seconds", "event"), "{{event}}")]),
        ("timeseries", "Kafka publish failures and 503s", "none", [
            q(failures("ingest_kafka_publish_failures_total"), "publish failures"),
            q('sum(rate(http_requests_total{service="ingest",status="503"}[5m])) or on() vector(0)', "503")]),
        ("timeseries", "Store round trips by command", "none", [
            q(rate("store_operations_total", "command", '{job="ingest"}'), "{{command}}")]),
        ("timeseries", "Store failures by operation", "none", [
            q(failures("ingest_store_failures_total", "operation"), "{{operation}}")]),
    ]),
    "pipeline": ("Sang Suk: pipeline (consumers, lag, freshness)", [
        ("timeseries", "Consumer lag by group and topic", "none", [
            q("sum by (service, topic) (stream_consumer_lag)", "{{service}} {{topic}}")]),
        ("timeseries", "Consumer lag by partition", "none", [
            q("stream_consumer_lag", "{{service}} {{topic}}/{{partition}}")]),
        ("timeseries", "Heartbeat age of consumers and the dispatcher", "s", [
            q("stream_consumer_heartbeat_age_seconds", "{{service}} {{process}}")]),
        ("timeseries", "Batches committed per second", "none", [
            q(rate("stream_batch_seconds_count", "service"), "{{service}}")]),
        ("timeseries", "Batch time p99", "s", [q(p99("stream_batch_seconds", "service"), "{{service}}")]),
        ("timeseries", "Records per batch p50", "none", [
            q(p99("stream_batch_size", "service", quantile="0.5"), "{{service}}")]),
        ("timeseries", "Failed attempts redone", "none", [
            q(rate("stream_batch_failures_total", "service"), "{{service}}")]),
        ("timeseries", "Dead letters, last hour", "none", [
            q(failures("stream_dead_letters_total", "service, topic", "1h", "increase"), "{{service}} {{topic}}")]),
        ("timeseries", "Vote to score p50 / p95", "s", [
            q(p99("scoring_end_to_end_seconds", quantile="0.5"), "p50"),
            q(p99("scoring_end_to_end_seconds", quantile="0.95"), "p95")]),
        ("timeseries", "Votes scored within 30 s (freshness SLI)", "percentunit", [
            q('sum(rate(scoring_end_to_end_seconds_bucket{le="30.0"}[5m]))'
              " / sum(rate(scoring_end_to_end_seconds_count[5m]))")]),
        ("timeseries", "Scoring: votes applied, duplicates, scores published", "none", [
            q(rate("scoring_votes_applied_total"), "applied"),
            q(rate("scoring_duplicates_skipped_total"), "duplicates"),
            q(rate("scoring_scores_published_total"), "scores.v1 published")]),
        ("timeseries", "Standing to leaderboard p95 (ranking)", "s", [
            q(p99("ranking_standing_age_seconds", quantile="0.95"))]),
        ("timeseries", "Ranking: standings applied, stale ignored", "none", [
            q(rate("ranking_events_applied_total"), "applied"),
            q(rate("ranking_stale_events_ignored_total"), "stale")]),
        ("timeseries", "Leaderboard age (web processes)", "s", [
            q("max by (instance) (ranking_leaderboard_age_seconds)", "{{instance}}")]),
        ("timeseries", "Kafka messages in per second by topic", "none", [
            q(rate("kafka_server_brokertopicmetrics_count", "topic",
                   '{name="MessagesInPerSec",topic!=""}'), "{{topic}}")]),
        ("stat", "Kafka offline partitions", "none", [
            q('kafka_controller_kafkacontroller_value{name="OfflinePartitionsCount"}')]),
        ("timeseries", "Kafka heap used", "bytes", [q("java_lang_memory_heapmemoryusage_used")]),
        ("timeseries", "FerretDB CPU and memory", "none", [
            q('rate(process_cpu_seconds_total{job="ferretdb"}[5m])', "CPU s/s"),
            q('process_resident_memory_bytes{job="ferretdb"} / 2^30', "RSS GiB")]),
    ]),
    "notify": ("Sang Suk: notify", [
        ("stat", "Open alerts", "none", [q("max(notify_open_alerts)")]),
        ("timeseries", "Votes counted into the rules", "none", [
            q(rate("notify_votes_counted_total"), "counted"), q(rate("notify_votes_flagged_total"), "flagged")]),
        ("timeseries", "Alerts opened by rule, last hour", "none", [
            q(rate("notify_alerts_opened_total", "rule", window="1h", fn="increase"), "{{rule}}")]),
        ("timeseries", "Alert events decided, last hour", "none", [
            q(rate("notify_events_total", "event", window="1h", fn="increase"), "{{event}}")]),
        ("timeseries", "Messages queued and delivered by transport, last hour", "none", [
            q(rate("notify_messages_queued_total", "transport", window="1h", fn="increase"), "queued {{transport}}"),
            q(rate("notify_messages_delivered_total", "transport", window="1h", fn="increase"),
              "delivered {{transport}}")]),
        ("timeseries", "Delivery time p95 (outbox to accepted)", "s", [
            q(p99("notify_delivery_seconds", "transport", quantile="0.95"), "{{transport}}")]),
        ("timeseries", "Delivery failures by transport and kind", "none", [
            q(failures("notify_delivery_failures_total", "transport, kind"), "{{transport}} {{kind}}")]),
        ("timeseries", "Messages given up on, last hour", "none", [
            q(failures("notify_dead_letters_total", "transport", "1h", "increase"), "{{transport}}")]),
        ("timeseries", "Events with no receiver, last hour", "none", [
            q(failures("notify_unroutable_total", "reason", "1h", "increase"), "{{reason}}")]),
        ("timeseries", "Notify consumer lag and heartbeat age", "none", [
            q('sum(stream_consumer_lag{service="notify"})', "lag"),
            q('stream_consumer_heartbeat_age_seconds{service="notify"}', "{{process}} heartbeat age s")]),
    ]),
}


def panel(index: int, kind: str, title: str, unit: str, queries: list[dict]) -> dict:
    width = 6 if kind == "stat" else 12
    body = {
        "id": index + 1, "type": kind, "title": title,
        "gridPos": {"h": 8 if kind != "stat" else 5, "w": width, "x": (index * width) % 24, "y": index * 4},
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [{"refId": chr(ord("A") + n), "expr": query["expr"], "legendFormat": query["legend"],
                     "datasource": {"type": "prometheus", "uid": "${datasource}"}} for n, query in enumerate(queries)],
    }
    if kind == "alertlist":
        del body["datasource"], body["targets"]
        body["options"] = {"showOptions": "current", "stateFilter": {"firing": True, "pending": True},
                           "alertInstanceLabelFilter": "", "datasource": "${datasource}"}
    return body


def dashboard(uid: str, title: str, panels: list[tuple]) -> dict:
    return {
        "uid": f"sangsuk-{uid}", "title": title, "tags": ["sangsuk"], "timezone": "Asia/Bangkok",
        "schemaVersion": 39, "version": 1, "refresh": "30s", "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus",
                                 "label": "Prometheus"}]},
        "annotations": {"list": []},
        "panels": [panel(i, *spec) for i, spec in enumerate(panels)],
    }


def render() -> dict[str, str]:
    return {f"{uid}.json": json.dumps(dashboard(uid, title, panels), indent=2, ensure_ascii=False) + "\n"
            for uid, (title, panels) in DASHBOARDS.items()}


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for name, text in render().items():
        (OUT / name).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

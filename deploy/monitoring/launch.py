#!/usr/bin/env python3
"""Render Prometheus's or Alertmanager's configuration for a profile, then run it in the foreground.

Usage: launch.py {prometheus|alertmanager} [--profile run|test] [--target NAME=HOST:PORT ...] [--render-only]

Debian's binaries (`make monitoring` installs them), run as the project's own processes: configuration
and data under var/<profile>/{prometheus,alertmanager}/, loopback ports of their own (run: 9190 and
9193, test: 19190 and 19193; SANGSUK_PROMETHEUS_PORT / SANGSUK_ALERTMANAGER_PORT move them), never
Debian's service. The process is exec'd, so a supervisor sees (and restarts) Prometheus itself.

What Prometheus scrapes (one job each): every service's web process from the manifests (its /metrics
also carries its consumer processes' metrics and their heartbeat age: docs/skeleton.md, docs/runbook.md
#consumerdown), Kafka through the JMX exporter agent, FerretDB's metrics listener, itself and
Alertmanager. `--target ingest=127.0.0.1:PORT` (repeatable) scrapes only the services named, there
(tests run services on free ports). The rules are deploy/monitoring/rules/sangsuk.rules.yml, the cluster's too.
Stdlib only, plus the manifests (which import nothing else).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import exporters  # noqa: E402

RULES = HERE / "rules" / "sangsuk.rules.yml"
DEFAULT_PORTS = {"run": (9190, 9193), "test": (19190, 19193)}
# How often: a developer's machine every 15 s; the tests' stack every 2 s, so an alert shows in seconds.
INTERVALS = {"run": {"scrape": "15s", "evaluate": "15s", "group_wait": "30s", "group_interval": "5m",
                     "repeat": "4h", "resolve_timeout": "5m"},
             "test": {"scrape": "2s", "evaluate": "1s", "group_wait": "1s", "group_interval": "1s",
                      "repeat": "1h", "resolve_timeout": "1m"}}
BINARIES = {"prometheus": ("prometheus",), "alertmanager": ("prometheus-alertmanager", "alertmanager")}


def ports(profile: str) -> tuple[int, int]:
    prom, am = DEFAULT_PORTS[profile]
    return (int(os.environ.get("SANGSUK_PROMETHEUS_PORT", prom)), int(os.environ.get("SANGSUK_ALERTMANAGER_PORT", am)))


def state_dir(profile: str, program: str) -> Path:
    return Path(os.environ.get("SANGSUK_VAR", ROOT / "var")).resolve() / profile / program


def service_targets(overrides: dict[str, str]) -> dict[str, str]:
    """Every service with a web process at its manifest's port; with overrides, only those (a test's services)."""
    from shared.manifest import manifests

    targets = {m.name: f"127.0.0.1:{m.port}" for m in manifests() if m.port is not None and "web" in m.processes}
    unknown = set(overrides) - set(targets)
    if unknown:
        sys.exit(f"[monitoring] --target names no service with a web process: {sorted(unknown)}")
    return overrides or targets


def scrape_jobs(profile: str, overrides: dict[str, str]) -> list[dict]:
    kafka_port = int(os.environ.get("SANGSUK_KAFKA_PORT", exporters.DEFAULT_KAFKA_PORTS[profile]))
    mongo_port = int(os.environ.get("SANGSUK_MONGO_PORT", exporters.DEFAULT_MONGO_PORTS[profile]))
    prom_port, am_port = ports(profile)
    jobs = {name: address for name, address in sorted(service_targets(overrides).items())}
    jobs["kafka"] = f"127.0.0.1:{exporters.kafka_metrics_port(kafka_port)}"
    if not os.environ.get("SANGSUK_NO_FERRETDB"):  # MONGO_URI at a real MongoDB: no FerretDB to scrape
        jobs["ferretdb"] = f"127.0.0.1:{exporters.ferretdb_metrics_port(mongo_port)}"
    jobs["prometheus"] = f"127.0.0.1:{prom_port}"
    jobs["alertmanager"] = f"127.0.0.1:{am_port}"
    return [{"job_name": job, "static_configs": [{"targets": [address]}]} for job, address in jobs.items()]


def prometheus_config(profile: str, overrides: dict[str, str]) -> dict:
    every = INTERVALS[profile]
    _, am_port = ports(profile)
    return {
        "global": {"scrape_interval": every["scrape"], "evaluation_interval": every["evaluate"],
                   "scrape_timeout": "2s" if profile == "test" else "10s",
                   "external_labels": {"platform": "sangsuk", "profile": profile}},
        "rule_files": [str(RULES)],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]},
        "scrape_configs": scrape_jobs(profile, overrides),
    }


ALERT_MAIL_TO = "sre@dev.amphoesangsook.test"  # the local mail server keeps it, whatever the address


def alertmanager_config(profile: str) -> dict:
    """Alerts grouped by name and service, mailed (firing and resolved) to the local mail server that `make run`
    starts (SMTP_HOST:SMTP_PORT, 127.0.0.1:8025: aiosmtpd keeps every mail in var/run/mail/), where a developer
    reads them as chiefs' mails are read. The cluster's overlay names the real receivers
    (deploy/k8s/overlays/production/alertmanager.yml: a page for severity=page, a ticket queue for
    severity=ticket)."""
    every = INTERVALS[profile]
    smarthost = f"{os.environ.get('SMTP_HOST', '127.0.0.1')}:{os.environ.get('SMTP_PORT', '8025')}"
    return {
        "global": {"resolve_timeout": every["resolve_timeout"]},
        "route": {"receiver": "local-mail", "group_by": ["alertname", "service", "job"],
                  "group_wait": every["group_wait"], "group_interval": every["group_interval"],
                  "repeat_interval": every["repeat"]},
        "receivers": [{"name": "local-mail", "email_configs": [{
            "to": ALERT_MAIL_TO, "from": "alertmanager@dev.amphoesangsook.test", "smarthost": smarthost,
            "hello": "localhost", "require_tls": False, "send_resolved": True}]}],
        "inhibit_rules": [{"source_matchers": ["alertname=KafkaDown"],
                           "target_matchers": ["alertname=~KafkaPublishFailures|IngestUnavailable503"]}],
    }


def write(path: Path, config: dict) -> Path:
    """JSON is YAML: both programs read it, and the standard library writes it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(config, indent=2) + "\n")
    tmp.replace(path)
    return path


def binary(program: str) -> str:
    for name in BINARIES[program]:
        if found := shutil.which(name):
            return found
    sys.exit(f"[monitoring] {BINARIES[program][0]} is not installed: `make monitoring` installs Debian's package")


def command(program: str, profile: str, overrides: dict[str, str]) -> list[str]:
    state = state_dir(profile, program)
    prom_port, am_port = ports(profile)
    if program == "prometheus":
        config = write(state / "prometheus.yml", prometheus_config(profile, overrides))
        return [binary(program), f"--config.file={config}", f"--storage.tsdb.path={state / 'data'}",
                f"--web.listen-address=127.0.0.1:{prom_port}", f"--web.external-url=http://127.0.0.1:{prom_port}",
                # No --web.enable-lifecycle: no local caller may /-/quit or /-/reload it (nor the admin API).
                "--storage.tsdb.retention.time=" + ("15d" if profile == "run" else "1d")]
    config = write(state / "alertmanager.yml", alertmanager_config(profile))
    return [binary(program), f"--config.file={config}", f"--storage.path={state / 'data'}",
            f"--web.listen-address=127.0.0.1:{am_port}", f"--web.external-url=http://127.0.0.1:{am_port}",
            "--cluster.listen-address="]  # one instance: no gossip port


def parse_targets(values: list[str]) -> dict[str, str]:
    targets = {}
    for value in values:
        name, sep, address = value.partition("=")
        if not sep or ":" not in address:
            sys.exit(f"[monitoring] --target wants NAME=HOST:PORT, got {value!r}")
        targets[name] = address
    return targets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("program", choices=sorted(BINARIES))
    parser.add_argument("--profile", choices=sorted(DEFAULT_PORTS), default="run")
    parser.add_argument("--target", action="append", default=[], help="NAME=HOST:PORT: a service elsewhere")
    parser.add_argument("--render-only", action="store_true", help="write the configuration, print the command")
    args = parser.parse_args()
    argv = command(args.program, args.profile, parse_targets(args.target))
    if args.render_only:
        print(" ".join(argv))
        return 0
    (state_dir(args.profile, args.program) / "data").mkdir(parents=True, exist_ok=True)
    os.execv(argv[0], argv)


if __name__ == "__main__":
    sys.exit(main())

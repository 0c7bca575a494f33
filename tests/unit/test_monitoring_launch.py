"""deploy/monitoring/launch.py: the configuration it renders is valid for the programs themselves (promtool,
amtool), scrapes every service with a web process and the servers' exporters, and loads the one rules file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from shared.manifest import manifests
from tests.unit.test_monitoring_rules import ROOT, RULES

LAUNCH = ROOT / "deploy" / "monitoring" / "launch.py"


def render(tmp_path, program: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SANGSUK_")}
    return subprocess.run([sys.executable, str(LAUNCH), program, "--render-only", *args], capture_output=True,
                          text=True, env={**clean, "SANGSUK_VAR": str(tmp_path), **env})


def test_run_profile_scrapes_every_service_kafka_and_ferretdb_on_its_own_ports(tmp_path):
    done = render(tmp_path, "prometheus", "--profile", "run")
    assert done.returncode == 0, done.stderr
    assert "--web.listen-address=127.0.0.1:9190" in done.stdout
    config = json.loads((tmp_path / "run" / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    services = {m.name: [f"127.0.0.1:{m.port}"] for m in manifests() if m.port and "web" in m.processes}
    assert set(services) == {"ingest", "scoring", "ranking", "notify"}
    assert jobs == {**services, "kafka": ["127.0.0.1:9094"], "ferretdb": ["127.0.0.1:27019"],
                    "prometheus": ["127.0.0.1:9190"], "alertmanager": ["127.0.0.1:9193"]}
    assert config["rule_files"] == [str(RULES)]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["127.0.0.1:9193"]
    check = subprocess.run([shutil.which("promtool") or "promtool", "check", "config",
                            str(tmp_path / "run" / "prometheus" / "prometheus.yml")], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_test_profile_follows_the_ports_and_only_the_services_named(tmp_path):
    done = render(tmp_path, "prometheus", "--profile", "test", "--target", "ingest=127.0.0.1:4321",
                  SANGSUK_PROMETHEUS_PORT="5555", SANGSUK_ALERTMANAGER_PORT="5556", SANGSUK_KAFKA_PORT="23092",
                  SANGSUK_MONGO_PORT="27058", SANGSUK_NO_FERRETDB="")
    assert done.returncode == 0, done.stderr
    config = json.loads((tmp_path / "test" / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    assert jobs == {"ingest": ["127.0.0.1:4321"], "kafka": ["127.0.0.1:23094"], "ferretdb": ["127.0.0.1:27060"],
                    "prometheus": ["127.0.0.1:5555"], "alertmanager": ["127.0.0.1:5556"]}
    assert config["global"]["scrape_interval"] == "2s"


def test_a_real_mongodb_means_no_ferretdb_job_and_a_wrong_target_is_refused(tmp_path):
    done = render(tmp_path, "prometheus", SANGSUK_NO_FERRETDB="1")
    config = json.loads((tmp_path / "run" / "prometheus" / "prometheus.yml").read_text())
    assert "ferretdb" not in {job["job_name"] for job in config["scrape_configs"]}
    refused = render(tmp_path, "prometheus", "--target", "channels=127.0.0.1:1")
    assert refused.returncode != 0 and "no service with a web process" in refused.stderr
    assert done.returncode == 0


def test_alertmanager_configuration_is_valid_and_has_no_cluster_port(tmp_path):
    done = render(tmp_path, "alertmanager", "--profile", "run")
    assert done.returncode == 0, done.stderr
    assert "--cluster.listen-address=" in done.stdout.split() and "127.0.0.1:9193" in done.stdout
    config = tmp_path / "run" / "alertmanager" / "alertmanager.yml"
    check = subprocess.run([shutil.which("amtool") or "amtool", "check-config", str(config)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_kafka_gets_the_jmx_agent_unless_its_port_is_taken(tmp_path, monkeypatch):
    import socket

    sys.path.insert(0, str(ROOT / "deploy" / "monitoring"))
    import exporters

    monkeypatch.setenv("SANGSUK_VAR", str(tmp_path))
    jar = tmp_path / "cache" / "jmx-exporter" / "jmx_prometheus_javaagent-1.0.1.jar"
    jar.parent.mkdir(parents=True)
    jar.write_bytes(b"")  # present: nothing is fetched
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        kafka_port = taken.getsockname()[1] - 2
        argv = ["java", "-Xmx1g", "-cp", "libs/*", "kafka.Kafka", "server.properties"]
        assert exporters.with_kafka_agent(argv, kafka_port) == argv
    with_agent = exporters.with_kafka_agent(argv, kafka_port)
    assert with_agent[0] == "java" and with_agent[2:] == argv[1:]
    assert with_agent[1] == (f"-javaagent:{jar}=127.0.0.1:{kafka_port + 2}:"
                             f"{ROOT / 'deploy/monitoring/exporters/kafka-jmx.yml'}")


def test_locally_every_alert_is_mailed_to_the_local_mail_server(tmp_path, monkeypatch):
    monkeypatch.setenv("SMTP_PORT", "2526")
    assert render(tmp_path, "alertmanager", "--profile", "run").returncode == 0
    config = json.loads((tmp_path / "run" / "alertmanager" / "alertmanager.yml").read_text())
    [receiver] = [r for r in config["receivers"] if r["name"] == config["route"]["receiver"]]
    [mail] = receiver["email_configs"]
    assert mail["smarthost"] == "127.0.0.1:2526" and mail["send_resolved"] and not mail["require_tls"]


def test_production_names_a_receiver_per_severity_and_amtool_accepts_it():
    """The cluster's configuration (deploy/k8s/overlays/production/alertmanager.yml): a page receiver and a ticket
    receiver, and every severity the rules use reaches one of them, never a receiver that sends nowhere."""
    import yaml

    path = ROOT / "deploy" / "k8s" / "overlays" / "production" / "alertmanager.yml"
    amtool = shutil.which("amtool") or "amtool"
    check = subprocess.run([amtool, "check-config", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    config = yaml.safe_load(path.read_text())
    senders = {r["name"] for r in config["receivers"] if any(k.endswith("_configs") for k in r)}
    assert senders == {"page", "ticket"}
    rules = yaml.safe_load((ROOT / "deploy" / "monitoring" / "rules" / "sangsuk.rules.yml").read_text())
    severities = {r["labels"]["severity"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
    assert severities == {"page", "ticket"}
    for severity in severities:
        routed = subprocess.run([amtool, "config", "routes", "test", f"--config.file={path}", f"severity={severity}"],
                                capture_output=True, text=True)
        assert routed.stdout.strip() == severity, routed.stdout + routed.stderr

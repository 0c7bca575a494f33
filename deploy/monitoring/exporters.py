"""Metrics endpoints of the local servers: the JMX exporter agent in Kafka, FerretDB's metrics listener.

Stdlib only (deploy/local/servers.py imports it before any virtualenv exists). Each is one call from
the server's start-up, so the start-up code stays as it is apart from that call. The agent's jar comes
from Maven Central (io.prometheus.jmx:jmx_prometheus_javaagent) into var/cache/, once.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
JMX_EXPORTER = "io.prometheus.jmx:jmx_prometheus_javaagent:1.0.1"
DEFAULT_KAFKA_PORTS = {"run": 9092, "test": 19092}
DEFAULT_MONGO_PORTS = {"run": 27017, "test": 27018}


def cache_dir() -> Path:
    return Path(os.environ.get("SANGSUK_VAR", ROOT / "var")).resolve() / "cache" / "jmx-exporter"


def kafka_metrics_port(kafka_port: int) -> int:
    """Beside the broker's two ports (the listener, the controller: kafka_port + 1)."""
    return int(os.environ.get("SANGSUK_KAFKA_METRICS_PORT", kafka_port + 2))


def ferretdb_metrics_port(mongo_port: int) -> int:
    return int(os.environ.get("SANGSUK_FERRETDB_METRICS_PORT", mongo_port + 2))


def jmx_agent_jar() -> Path:
    """The agent's jar, fetched with Maven the first time (as the Kafka jars are)."""
    version = JMX_EXPORTER.rsplit(":", 1)[1]
    jar = cache_dir() / f"jmx_prometheus_javaagent-{version}.jar"
    if not jar.exists():
        jar.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mvn", "-q", "-B", "dependency:copy", f"-Dartifact={JMX_EXPORTER}",
                        f"-DoutputDirectory={jar.parent}"], check=True, cwd=jar.parent)
    return jar


def kafka_agent_args(kafka_port: int) -> list[str]:
    """The JVM argument that serves the broker's metrics on 127.0.0.1:<kafka_port + 2>/metrics."""
    port = kafka_metrics_port(kafka_port)
    return [f"-javaagent:{jmx_agent_jar()}=127.0.0.1:{port}:{HERE / 'exporters' / 'kafka-jmx.yml'}"]


def port_taken(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def with_kafka_agent(java_argv: list[str], kafka_port: int, *, ours_running: bool = False) -> list[str]:
    """`java …` with the agent (JVM options go before the main class). The agent cannot bind a taken port, and
    the JVM would not start: then Kafka starts without it (unscraped, KafkaDown says so) and we say why.
    `ours_running`: our broker runs (its own agent holds the port), so the port is ours: keep the agent, or
    the program would differ and supervisord would restart the broker without it."""
    if not ours_running and port_taken(kafka_metrics_port(kafka_port)):
        print(f"[monitoring] port {kafka_metrics_port(kafka_port)} is taken: Kafka starts without its metrics agent "
              "(set SANGSUK_KAFKA_METRICS_PORT)", file=sys.stderr, flush=True)
        return java_argv
    return [java_argv[0], *kafka_agent_args(kafka_port), *java_argv[1:]]


def ferretdb_args(mongo_port: int) -> list[str]:
    """FerretDB's flag for its metrics listener (deploy/local/ferretdb/main.go)."""
    return ["-metrics-listen", f"127.0.0.1:{ferretdb_metrics_port(mongo_port)}"]

#!/usr/bin/env python3
"""Fetch, build, start and stop the local Kafka broker and FerretDB document server.

These machines have no Docker engine and no Kafka or MongoDB, so the project brings its own:
Apache Kafka (KRaft, one node) from Maven Central and FerretDB (SQLite backend) built from the
Go module proxy. Two profiles keep a developer's `make run` servers apart from the throwaway
servers of `make test`. Everything generated lives under var/ (ignored by git).

Usage: servers.py {fetch|start|stop|status|ensure|env} [--profile run|test]

Environment overrides: SANGSUK_VAR (state folder), SANGSUK_KAFKA_PORT, SANGSUK_MONGO_PORT.
Stdlib only: this runs before the virtualenv exists.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
VAR = Path(os.environ.get("SANGSUK_VAR", ROOT / "var")).resolve()
CACHE = VAR / "cache"
KAFKA_LIBS = CACHE / "kafka-libs"
FERRETDB_BIN = CACHE / "bin" / "localferretdb"

DEFAULT_PORTS = {"run": (9092, 27017), "test": (19092, 27018)}


@dataclass(frozen=True)
class Profile:
    name: str
    kafka_port: int
    controller_port: int
    mongo_port: int

    @property
    def state(self) -> Path:
        # KRaft stores the controller's address in its data: other ports need other data.
        default = DEFAULT_PORTS.get(self.name)
        if default is None or default == (self.kafka_port, self.mongo_port):
            return VAR / self.name
        return VAR / f"{self.name}-{self.kafka_port}-{self.mongo_port}"

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongo_uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}/"


def profile(name: str) -> Profile:
    """The named profile; ports can be moved with SANGSUK_KAFKA_PORT / SANGSUK_MONGO_PORT."""
    kafka_default, mongo_default = DEFAULT_PORTS[name]
    kafka_port = int(os.environ.get("SANGSUK_KAFKA_PORT", kafka_default))
    mongo_port = int(os.environ.get("SANGSUK_MONGO_PORT", mongo_default))
    return Profile(name, kafka_port, kafka_port + 1, mongo_port)


def log(msg: str) -> None:
    print(f"[servers] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- fetch / build (cached)


def fetch_kafka() -> None:
    marker = KAFKA_LIBS / ".complete"
    if marker.exists():
        return
    log("fetching Apache Kafka jars from Maven Central (first run only)")
    tmp = KAFKA_LIBS.with_suffix(".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run(
        [
            "mvn", "-q", "-B", "-f", str(HERE / "kafka" / "pom.xml"),
            "dependency:copy-dependencies", f"-DoutputDirectory={tmp}", "-DincludeScope=runtime",
        ],
        check=True,
    )
    shutil.rmtree(KAFKA_LIBS, ignore_errors=True)
    tmp.rename(KAFKA_LIBS)
    marker.touch()


def fetch_ferretdb() -> None:
    source = HERE / "ferretdb"
    newest_source = max(p.stat().st_mtime for p in source.iterdir())
    if FERRETDB_BIN.exists() and FERRETDB_BIN.stat().st_mtime >= newest_source:
        return
    log("building FerretDB from the Go module proxy (first run only, about a minute)")
    FERRETDB_BIN.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, CGO_ENABLED="0", GOFLAGS="-buildvcs=false -mod=mod")
    subprocess.run(["go", "build", "-o", str(FERRETDB_BIN), "."], cwd=source, env=env, check=True)


def fetch() -> None:
    for tool in ("java", "mvn", "go"):
        if shutil.which(tool) is None:
            sys.exit(f"[servers] '{tool}' is not installed; it is needed to fetch the local servers")
    fetch_kafka()
    fetch_ferretdb()


# ---------------------------------------------------------------- processes


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def pid_file(p: Profile, server: str) -> Path:
    return p.state / f"{server}.pid"


def running_pid(p: Profile, server: str) -> int | None:
    path = pid_file(p, server)
    try:
        pid = int(path.read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def spawn(p: Profile, server: str, argv: list[str]) -> None:
    logs = p.state / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{server}.log", "ab") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=p.state,
        )
    pid_file(p, server).write_text(str(proc.pid))


def wait_for(port: int, what: str, p: Profile, server: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        if running_pid(p, server) is None:
            break
        time.sleep(0.3)
    tail = (p.state / "logs" / f"{server}.log").read_text(errors="replace")[-3000:]
    sys.exit(f"[servers] {what} did not start on port {port}; log tail:\n{tail}")


def kafka_properties(p: Profile) -> str:
    template = (HERE / "kafka" / "server.properties").read_text()
    return template.format(
        kafka_port=p.kafka_port, controller_port=p.controller_port, log_dir=p.state / "kafka-data"
    )


def java_cmd(p: Profile, main: str, *args: str) -> list[str]:
    return [
        "java", "-Xms256m", os.environ.get("SANGSUK_KAFKA_HEAP", "-Xmx1g"),
        "-XX:+UseG1GC", "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={HERE / 'kafka' / 'log4j2.properties'}",
        f"-Dkafka.logs.dir={p.state / 'logs'}",
        "-cp", f"{KAFKA_LIBS}/*", main, *args,
    ]


def start_kafka(p: Profile) -> None:
    if running_pid(p, "kafka") and port_open(p.kafka_port):
        return
    if port_open(p.kafka_port):
        sys.exit(f"[servers] port {p.kafka_port} is taken by something else; set SANGSUK_KAFKA_PORT")
    p.state.mkdir(parents=True, exist_ok=True)
    props = p.state / "kafka-server.properties"
    props.write_text(kafka_properties(p))
    data = p.state / "kafka-data"
    if not (data / "meta.properties").exists():
        cluster_id = subprocess.run(
            java_cmd(p, "kafka.tools.StorageTool", "random-uuid"),
            check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
        subprocess.run(
            java_cmd(p, "kafka.tools.StorageTool", "format", "--standalone",
                     "-t", cluster_id, "-c", str(props)),
            check=True, capture_output=True, text=True,
        )
    log(f"starting Kafka ({p.name}) on {p.kafka_bootstrap}")
    spawn(p, "kafka", java_cmd(p, "kafka.Kafka", str(props)))
    wait_for(p.kafka_port, "Kafka", p, "kafka")


def start_ferretdb(p: Profile) -> None:
    if running_pid(p, "ferretdb") and port_open(p.mongo_port):
        return
    if port_open(p.mongo_port):
        sys.exit(f"[servers] port {p.mongo_port} is taken by something else; set SANGSUK_MONGO_PORT")
    data = p.state / "ferretdb-data"
    log(f"starting FerretDB/SQLite ({p.name}) on {p.mongo_uri}")
    spawn(p, "ferretdb", [str(FERRETDB_BIN), "-listen", f"127.0.0.1:{p.mongo_port}", "-data", str(data)])
    wait_for(p.mongo_port, "FerretDB", p, "ferretdb")


def stop_server(p: Profile, server: str, timeout: float = 30) -> None:
    pid = running_pid(p, server)
    if pid is None:
        pid_file(p, server).unlink(missing_ok=True)
        return
    log(f"stopping {server} ({p.name}, pid {pid})")
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and running_pid(p, server):
        time.sleep(0.2)
    if running_pid(p, server):
        os.killpg(pid, signal.SIGKILL)
    pid_file(p, server).unlink(missing_ok=True)


def start(p: Profile, *, mongo: bool = True) -> None:
    fetch()
    if mongo:
        start_ferretdb(p)
    start_kafka(p)


def stop(p: Profile) -> None:
    stop_server(p, "kafka")
    stop_server(p, "ferretdb")


def status(p: Profile) -> int:
    ok = True
    for server, port in (("kafka", p.kafka_port), ("ferretdb", p.mongo_port)):
        pid = running_pid(p, server)
        up = pid is not None and port_open(port)
        ok &= up
        print(f"{server:9} {'up' if up else 'down':5} port {port} pid {pid or '-'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["fetch", "start", "stop", "status", "env", "stop-kafka",
                                           "start-kafka"])
    parser.add_argument("--profile", choices=sorted(DEFAULT_PORTS), default="run")
    parser.add_argument("--no-mongo", action="store_true", help="MONGO_URI points at a real MongoDB")
    args = parser.parse_args()
    p = profile(args.profile)
    if args.action == "fetch":
        fetch()
    elif args.action == "start":
        start(p, mongo=not args.no_mongo)
    elif args.action == "stop":
        stop(p)
    elif args.action == "stop-kafka":
        stop_server(p, "kafka")
    elif args.action == "start-kafka":
        start_kafka(p)
    elif args.action == "status":
        return status(p)
    elif args.action == "env":
        print(f"KAFKA_BOOTSTRAP={p.kafka_bootstrap}\nMONGO_URI={p.mongo_uri}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Fetch, build, start and stop the local Kafka broker and document server (FerretDB on PostgreSQL).

These machines have no Docker engine and no Kafka or MongoDB, so the project brings its own:
Apache Kafka (KRaft, one node) from Maven Central, and FerretDB built from the Go module proxy on
a PostgreSQL cluster of its own (Debian's binaries, `make` installs them; not Debian's cluster or
service). Two profiles keep a developer's `make run` servers apart from the throwaway servers of
`make test`. Everything generated lives under var/ (ignored by git).

Usage: servers.py {fetch|start|stop|status|env|psql} [--profile run|test]

Environment overrides: SANGSUK_VAR (state folder), SANGSUK_KAFKA_PORT, SANGSUK_MONGO_PORT,
SANGSUK_PG_PORT. Stdlib only: this runs before the virtualenv exists.
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
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
# Not 5432: a system PostgreSQL may own it.
DEFAULT_PG_PORTS = {"run": 5433, "test": 15433}
PG_EVENT_TRIGGER_SQL = HERE / "postgresql" / "gin_twins.sql"
sys.path.insert(0, str(HERE.parent / "monitoring"))
import exporters  # noqa: E402  (deploy/monitoring/exporters.py: the servers' metrics endpoints, stdlib only)


@dataclass(frozen=True)
class Profile:
    name: str
    kafka_port: int
    controller_port: int
    mongo_port: int
    pg_port: int = 0
    # FerretDB keeps each MongoDB database as a schema inside this one PostgreSQL database.
    pg_database: str = "ferretdb"

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

    @property
    def pg_data(self) -> Path:
        return self.state / "pg-data"

    @property
    def pg_socket_dir(self) -> Path:
        return self.state / "pg-socket"

    @property
    def pg_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.pg_port}/{self.pg_database}"


def profile(name: str) -> Profile:
    """The named profile; ports move with SANGSUK_KAFKA_PORT / SANGSUK_MONGO_PORT / SANGSUK_PG_PORT."""
    kafka_default, mongo_default = DEFAULT_PORTS[name]
    kafka_port = int(os.environ.get("SANGSUK_KAFKA_PORT", kafka_default))
    mongo_port = int(os.environ.get("SANGSUK_MONGO_PORT", mongo_default))
    pg_port = int(os.environ.get("SANGSUK_PG_PORT", DEFAULT_PG_PORTS[name]))
    return Profile(name, kafka_port, kafka_port + 1, mongo_port, pg_port)


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


def spawn(p: Profile, server: str, argv: list[str], user: str | None = None) -> None:
    logs = p.state / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{server}.log", "ab") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=p.state, **as_user(user),
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
    spawn(p, "kafka", exporters.with_kafka_agent(java_cmd(p, "kafka.Kafka", str(props)), p.kafka_port))
    wait_for(p.kafka_port, "Kafka", p, "kafka")


def start_ferretdb(p: Profile) -> None:
    if running_pid(p, "ferretdb") and port_open(p.mongo_port):
        return
    if port_open(p.mongo_port):
        sys.exit(f"[servers] port {p.mongo_port} is taken by something else; set SANGSUK_MONGO_PORT")
    prepare_pg_database(p)
    log(f"starting FerretDB/PostgreSQL ({p.name}) on {p.mongo_uri}")
    spawn(p, "ferretdb", [str(FERRETDB_BIN), "-listen", f"127.0.0.1:{p.mongo_port}",
                          "-postgresql-url", ferretdb_pg_url(p), *exporters.ferretdb_args(p.mongo_port)])
    wait_for(p.mongo_port, "FerretDB", p, "ferretdb")


# ---------------------------------------------------------------- PostgreSQL (Debian's binaries, our own cluster)


def pg_bin(tool: str) -> str:
    """A program of Debian's PostgreSQL package (the newest major version installed)."""
    def major(path: str) -> int:
        version = Path(path).parts[-3]
        return int(version) if version.isdigit() else 0

    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"), key=major)
    if found:
        return found[-1]
    if on_path := shutil.which(tool):
        return on_path
    sys.exit("[servers] PostgreSQL is not installed: `make postgresql` installs Debian's package "
             "(apt-get install postgresql)")


def pg_user() -> str | None:
    """PostgreSQL refuses to run as root; as root we run it as Debian's unprivileged `postgres` user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        sys.exit("[servers] running as root needs the unprivileged user 'postgres' "
                 "(Debian's postgresql package creates it)")
    return "postgres"


def as_user(user: str | None) -> dict:
    """Popen arguments that drop root for `user` (no supplementary groups kept)."""
    if user is None:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": [],
            "env": {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": entry.pw_dir, "LC_ALL": "C"}}


def owned_dir(path: Path, user: str | None) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if user is not None:
        shutil.chown(path, user, user)
        path.chmod(0o700)


def reachable(path: Path, user: str) -> bool:
    return subprocess.run(["test", "-x", str(path)], **as_user(user)).returncode == 0


def allow_traversal(path: Path) -> None:
    """Let the unprivileged PostgreSQL user walk down to var/ (a clone under `mktemp -d` is 0700):
    search permission only (o+x) on the folders we own along the path, never read or write."""
    for folder in [path, *path.parents]:
        st = folder.stat()
        if st.st_uid == os.getuid() and not st.st_mode & 0o001:
            log(f"allowing other users to traverse {folder} (o+x) so that PostgreSQL can reach var/")
            folder.chmod(st.st_mode | 0o001)


def init_postgresql(p: Profile) -> None:
    """A new cluster under var/: trust authentication for loopback and the socket only."""
    if (p.pg_data / "PG_VERSION").exists():
        return
    user = pg_user()
    p.state.mkdir(parents=True, exist_ok=True)
    if user is not None and not reachable(p.state, user):
        allow_traversal(p.state)
    if user is not None and not reachable(p.state, user):
        sys.exit(f"[servers] user {user} cannot reach {p.state}; give the folders on that path o+x "
                 "or set SANGSUK_VAR to a reachable folder")
    tmp = p.pg_data.with_name("pg-data.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    owned_dir(tmp, user)
    log(f"initialising a PostgreSQL cluster ({p.name}) in {p.pg_data}")
    subprocess.run([pg_bin("initdb"), "-D", str(tmp), "-U", "postgres", "-E", "UTF8", "--no-locale",
                    "--auth=trust", "--no-instructions"],
                   check=True, capture_output=True, cwd=tmp, **as_user(user))
    (tmp / "pg_hba.conf").write_text(
        "# Written by deploy/local/servers.py: local development and tests, loopback only.\n"
        "local all all trust\n"
        "host  all all 127.0.0.1/32 trust\n")
    tmp.rename(p.pg_data)


def postgresql_settings(p: Profile) -> list[str]:
    settings = {
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": str(p.pg_socket_dir),
        "max_connections": "200",  # FerretDB pools up to 50 connections per server
        "shared_preload_libraries": "pg_stat_statements",  # how tests and people check a query's plan
        "log_min_messages": "warning",
    }
    if p.name != "run":
        # Throwaway data (tests, benchmarks): no crash safety needed. `make run` keeps the defaults.
        settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
    return [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]


def start_postgresql(p: Profile) -> None:
    if running_pid(p, "postgresql") and port_open(p.pg_port):
        return
    if port_open(p.pg_port):
        sys.exit(f"[servers] port {p.pg_port} is taken by something else; set SANGSUK_PG_PORT")
    init_postgresql(p)
    user = pg_user()
    owned_dir(p.pg_socket_dir, user)
    if len(str(p.pg_socket_dir / f".s.PGSQL.{p.pg_port}")) > 100:
        sys.exit(f"[servers] {p.pg_socket_dir} is too long a path for a Unix socket; set SANGSUK_VAR")
    log(f"starting PostgreSQL ({p.name}) on 127.0.0.1:{p.pg_port}")
    spawn(p, "postgresql", [pg_bin("postgres"), "-D", str(p.pg_data), "-p", str(p.pg_port),
                            *postgresql_settings(p)], user=user)
    wait_for(p.pg_port, "PostgreSQL", p, "postgresql")
    deadline = time.monotonic() + 60
    while subprocess.run([pg_bin("pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(p.pg_port)]).returncode:
        if time.monotonic() > deadline:
            sys.exit("[servers] PostgreSQL did not become ready; see " + str(p.state / "logs/postgresql.log"))
        time.sleep(0.2)


def psql(p: Profile, *args: str, database: str = "postgres") -> str:
    result = subprocess.run(
        [pg_bin("psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
         "-p", str(p.pg_port), "-U", "postgres", "-d", database, *args],
        capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"[servers] psql failed: {result.stderr.strip()}")
    return result.stdout


def prepare_pg_database(p: Profile) -> None:
    """FerretDB's database, with the event trigger that gives each of its single-field indexes a GIN twin."""
    if not psql(p, "-c", f"SELECT 1 FROM pg_database WHERE datname = '{p.pg_database}'").strip():
        psql(p, "-c", f'CREATE DATABASE "{p.pg_database}"')
    psql(p, "-f", str(PG_EVENT_TRIGGER_SQL), database=p.pg_database)


def ferretdb_pg_url(p: Profile) -> str:
    """Through the cluster's Unix socket (a cheaper round trip than loopback TCP) when this profile
    runs the cluster; over TCP when it borrows another profile's (a test's FerretDB of its own)."""
    if (p.pg_socket_dir / f".s.PGSQL.{p.pg_port}").exists():
        return f"postgres://postgres@/{p.pg_database}?host={p.pg_socket_dir}&port={p.pg_port}"
    return p.pg_url


def stop_server(p: Profile, server: str, timeout: float = 30) -> None:
    pid = running_pid(p, server)
    if pid is None:
        pid_file(p, server).unlink(missing_ok=True)
        return
    log(f"stopping {server} ({p.name}, pid {pid})")
    if server == "postgresql":
        os.kill(pid, signal.SIGINT)  # the postmaster's "fast" shutdown: ends sessions, checkpoints
    else:
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
        start_postgresql(p)
        start_ferretdb(p)
    start_kafka(p)


def stop(p: Profile) -> None:
    stop_server(p, "kafka")
    stop_server(p, "ferretdb")
    stop_server(p, "postgresql")


def status(p: Profile) -> int:
    ok = True
    for server, port in (("kafka", p.kafka_port), ("ferretdb", p.mongo_port), ("postgresql", p.pg_port)):
        pid = running_pid(p, server)
        up = pid is not None and port_open(port)
        ok &= up
        print(f"{server:10} {'up' if up else 'down':5} port {port} pid {pid or '-'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["fetch", "start", "stop", "status", "env", "psql", "stop-kafka",
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
        print(f"KAFKA_BOOTSTRAP={p.kafka_bootstrap}\nMONGO_URI={p.mongo_uri}\nPG_URL={p.pg_url}")
    elif args.action == "psql":  # FerretDB's tables, e.g. to EXPLAIN what it runs (docs/store.md)
        os.execv(pg_bin("psql"), ["psql", "-X", "-h", "127.0.0.1", "-p", str(p.pg_port), "-U", "postgres",
                                  "-d", p.pg_database])
    return 0


if __name__ == "__main__":
    sys.exit(main())

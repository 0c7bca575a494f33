#!/usr/bin/env python3
"""Fetch, build, start and stop the local Kafka broker and document server (FerretDB on PostgreSQL).

These machines have no Docker engine and no Kafka or MongoDB, so the project brings its own:
Apache Kafka (KRaft, one node) from Maven Central, and FerretDB built from the Go module proxy on
a PostgreSQL cluster of its own (Debian's binaries, `make` installs them; not Debian's cluster or
service). Two profiles keep a developer's `make run` servers apart from the throwaway servers of
`make test`. Everything generated lives under var/ (ignored by git).

Usage: servers.py {fetch|start|stop|status|env|psql|ctl SUPERVISORCTL-ARGS…} [--profile run|test]

Every server runs in the foreground under the profile's supervisord (deploy/local/supervision.py), which
restarts it if it dies; `status` prints every program's state (nonzero unless all are RUNNING), `ctl`
passes a command to supervisorctl (`servers.py ctl restart kafka --profile run`).

Environment overrides: SANGSUK_VAR (state folder), SANGSUK_KAFKA_PORT, SANGSUK_MONGO_PORT,
SANGSUK_PG_PORT. Stdlib only (it runs with the system's python3); supervisord is the virtualenv's.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import sys
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
SERVERS = "server"  # the owner of the servers' program files in the profile's supervisord (services.py: "service")
STOPPED = ("STOPPED", "EXITED", "FATAL")


def sibling(name: str, folder: Path = HERE):
    """Another script of deploy/ as a module. Not through sys.path: `services.py` there would hide the
    `services` package from whoever imports this (the tests do)."""
    module_name = f"sangsuk_{folder.name}_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, folder / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # dataclasses look their module up while the class is built
        spec.loader.exec_module(module)
    return sys.modules[module_name]


supervision = sibling("supervision")
exporters = sibling("exporters", HERE.parent / "monitoring")  # the servers' metrics endpoints


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


# ---------------------------------------------------------------- processes (under supervisord)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def supervisor(p: Profile) -> supervision.Supervisor:
    """The profile's supervisord: its servers here, and under `make run` the services (services.py)."""
    return supervision.Supervisor(p.state)


def running_pid(p: Profile, server: str) -> int | None:
    return supervisor(p).pid(server)


def run_server(p: Profile, program: supervision.Program, port: int, what: str, ready=None) -> None:
    """The program under the profile's supervisord, started unless it runs, and serving on its port."""
    sup = supervisor(p)
    if port_open(port) and sup.infos().get(program.name, {}).get("statename") in (None, *STOPPED):
        sys.exit(f"[servers] port {port} is taken by something else; set the SANGSUK_*_PORT of {what}")
    sup.write(SERVERS, program)
    sup.launch()
    sup.ensure_started(program.name)
    sup.wait_running(program.name, lambda: port_open(port) and (ready is None or ready()), what)


def kafka_properties(p: Profile) -> str:
    template = (HERE / "kafka" / "server.properties").read_text()
    return template.format(
        kafka_port=p.kafka_port, controller_port=p.controller_port, log_dir=p.state / "kafka-data"
    )


def java_cmd(p: Profile, main: str, *args: str, jvm: tuple[str, ...] = ()) -> list[str]:
    return [
        "java", "-Xms256m", os.environ.get("SANGSUK_KAFKA_HEAP", "-Xmx1g"),
        "-XX:+UseG1GC", "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={HERE / 'kafka' / 'log4j2.properties'}",
        f"-Dkafka.logs.dir={p.state / 'logs'}", *jvm,
        "-cp", f"{KAFKA_LIBS}/*", main, *args,
    ]


def prepare_kafka(p: Profile) -> Path:
    """The broker's properties, and its storage formatted once (KRaft)."""
    p.state.mkdir(parents=True, exist_ok=True)
    props = p.state / "kafka-server.properties"
    props.write_text(kafka_properties(p))
    data = p.state / "kafka-data"
    if data.exists():
        data.chmod(0o700)  # the votes themselves: an earlier run's folder may be open to every local user
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
    return props


def kafka_program(p: Profile, props: Path, *, running: bool = False) -> supervision.Program:
    """The broker in the foreground: the broker's own JVM flags (the JMX exporter's `-javaagent:`) are set
    here, never for the storage tool. `running`: the broker already runs under supervisord."""
    argv = exporters.with_kafka_agent(java_cmd(p, "kafka.Kafka", str(props)), p.kafka_port, ours_running=running)
    return supervision.Program("kafka", argv, directory=p.state, priority=300, stopwaitsecs=60, startsecs=5)


def start_kafka(p: Profile) -> None:
    props = prepare_kafka(p)
    log(f"Kafka ({p.name}) on {p.kafka_bootstrap}")
    run_server(p, kafka_program(p, props, running=_runs_with_agent(p)), p.kafka_port, "Kafka")


def _runs_with_agent(p: Profile) -> bool:
    """Our broker runs under supervisord with the JMX agent (which holds the metrics port itself)."""
    sup = supervisor(p)
    conf = sup.programs / f"{SERVERS}-kafka.conf"
    return sup.alive() and running_pid(p, "kafka") is not None and conf.exists() and "-javaagent:" in conf.read_text()


def ferretdb_program(p: Profile) -> supervision.Program:
    """FerretDB in the foreground: its flags (a metrics/debug address joins them) and environment here."""
    argv = [str(FERRETDB_BIN), "-listen", f"127.0.0.1:{p.mongo_port}", "-postgresql-url", ferretdb_pg_url(p),
            *exporters.ferretdb_args(p.mongo_port)]
    return supervision.Program("ferretdb", argv, directory=p.state, priority=200)


def start_ferretdb(p: Profile) -> None:
    prepare_pg_database(p)
    log(f"FerretDB/PostgreSQL ({p.name}) on {p.mongo_uri}")
    run_server(p, ferretdb_program(p), p.mongo_port, "FerretDB")
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
        # A client's failed statement is FerretDB's: its unique-key violations (the claim stores' way of saying
        # "already there") would put the key into the log (DETAIL: Key (_id)=(<hashed voter>|<district>|<day>)),
        # linking one voter's votes, and the statement with it. The log keeps the error's one line, no detail.
        "log_error_verbosity": "terse",
        "log_min_error_statement": "panic",
    }
    if p.name != "run":
        # Throwaway data (tests, benchmarks): it need not survive the machine going down (no fsync), but it
        # must survive the process being killed, which the suite does on purpose: synchronous_commit stays on,
        # so a commit acknowledged to FerretDB is in the kernel's WAL before the answer. With it off, a SIGKILL
        # of the postmaster lost every write of the last few hundred milliseconds (test_local_stack_heals.py).
        # `make run` keeps PostgreSQL's defaults.
        settings.update(fsync="off", full_page_writes="off")
    return [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]


def pg_ready(p: Profile) -> bool:
    return subprocess.run([pg_bin("pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(p.pg_port)]).returncode == 0


def start_postgresql(p: Profile) -> None:
    init_postgresql(p)
    user = pg_user()
    owned_dir(p.pg_socket_dir, user)
    if len(str(p.pg_socket_dir / f".s.PGSQL.{p.pg_port}")) > 100:
        sys.exit(f"[servers] {p.pg_socket_dir} is too long a path for a Unix socket; set SANGSUK_VAR")
    log(f"PostgreSQL ({p.name}) on 127.0.0.1:{p.pg_port}")
    # SIGINT is the postmaster's "fast" shutdown: ends sessions, checkpoints.
    program = supervision.Program(
        "postgresql", [pg_bin("postgres"), "-D", str(p.pg_data), "-p", str(p.pg_port), *postgresql_settings(p)],
        user=user, environment={"LC_ALL": "C"}, directory=p.pg_data, stopsignal="INT", stopwaitsecs=60,
        priority=100)
    run_server(p, program, p.pg_port, "PostgreSQL", ready=lambda: pg_ready(p))


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


def stop_server(p: Profile, server: str) -> None:
    """Down on purpose (an outage test): supervisord leaves it stopped until start_* starts it again."""
    log(f"stopping {server} ({p.name})")
    supervisor(p).stop_program(server)


def start(p: Profile, *, mongo: bool = True) -> None:
    fetch()
    supervisor(p).remove(SERVERS, keep=["kafka", *(["postgresql", "ferretdb"] if mongo else [])])
    if mongo:
        start_postgresql(p)
        start_ferretdb(p)
    start_kafka(p)


def stop(p: Profile) -> None:
    """Every program of the profile's supervisord (services too under `make run`), then supervisord;
    the generated program files go with them (the next start writes what it runs)."""
    sup = supervisor(p)
    if sup.alive():
        log(f"stopping everything under supervisord ({p.name})")
    sup.shutdown()
    shutil.rmtree(sup.programs, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["fetch", "start", "stop", "status", "env", "psql", "stop-kafka",
                                           "start-kafka", "ctl"])
    parser.add_argument("--profile", choices=sorted(DEFAULT_PORTS), default="run")
    parser.add_argument("--no-mongo", action="store_true", help="MONGO_URI points at a real MongoDB")
    args, rest = parser.parse_known_args()  # rest: supervisorctl's command and arguments (ctl)
    if rest and args.action != "ctl":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    p = profile(args.profile)
    if args.action == "fetch":
        fetch()
    elif args.action == "start":
        start(p, mongo=not args.no_mongo)
    elif args.action == "stop":
        stop(p)
    elif args.action == "stop-kafka":
        stop_server(p, "kafka")
    elif args.action == "ctl":  # e.g. `servers.py ctl restart scoring-consumer`, `ctl tail -f kafka`
        ctl = supervision.supervisor_binary("supervisorctl")
        os.execv(ctl, [ctl, "-c", str(supervisor(p).conf), *rest])
    elif args.action == "start-kafka":
        start_kafka(p)
    elif args.action == "status":
        return supervisor(p).status()
    elif args.action == "env":
        print(f"KAFKA_BOOTSTRAP={p.kafka_bootstrap}\nMONGO_URI={p.mongo_uri}\nPG_URL={p.pg_url}")
    elif args.action == "psql":  # FerretDB's tables, e.g. to EXPLAIN what it runs (docs/store.md)
        os.execv(pg_bin("psql"), ["psql", "-X", "-h", "127.0.0.1", "-p", str(p.pg_port), "-U", "postgres",
                                  "-d", p.pg_database])
    return 0


if __name__ == "__main__":
    sys.exit(main())

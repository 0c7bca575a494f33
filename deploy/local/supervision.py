"""The local stack's process supervisor: one supervisord (PyPI's `supervisor`) per profile, configured here.

Like the cluster's kubelet, supervisord restarts whatever dies (a consumer, a gunicorn master, the broker,
the store), keeps each program's log under `<state>/logs/` (rotated), and stops everything, process
groups and all, on `make stop`. Each profile's state folder (`var/run`, `var/test`, a test's own) holds
its configuration under `supervisor/`: `supervisord.conf`, control over a Unix socket (never a TCP port
that could clash between profiles or helpers), and one `programs/<owner>-<name>.conf` per program, so
`servers.py` and `services.py` each write and remove their own and `update` applies the difference.

Stdlib only (it runs with the system's python3); supervisord itself is the virtualenv's (`make venv`).
"""

from __future__ import annotations

import http.client
import json
import os
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WITH_ENV = Path(__file__).resolve().parent / "with_env.py"
RUNNING = "RUNNING"


@dataclass(frozen=True)
class Program:
    """One foreground process under supervisord. Adding a program to the stack is one of these."""

    name: str
    argv: Sequence[str]
    # Added to supervisord's own environment (plain values only: supervisord's syntax has no escapes).
    # A program that needs an exact, complete environment (a service) uses `env_file` instead.
    environment: Mapping[str, str] = field(default_factory=dict)
    env_file: Path | None = None  # JSON {name: value}: the whole environment, applied by with_env.py
    directory: Path = ROOT
    user: str | None = None
    stopsignal: str = "TERM"
    stopwaitsecs: int = 30
    startsecs: int = 2  # up this long counts as started; a quicker exit is a failed start, retried with backoff
    startretries: int = 20  # failed starts in a row (1 s, 2 s, 3 s … apart) before FATAL; `make run` retries FATAL
    priority: int = 500  # lower starts first and stops last

    def command(self) -> list[str]:
        if self.env_file is None:
            return list(self.argv)
        return [sys.executable, str(WITH_ENV), str(self.env_file), *self.argv]


def _value(text: str) -> str:
    """A value as supervisord reads it: `%` is its interpolation marker."""
    if "\n" in text:
        raise ValueError(f"a newline cannot go in a supervisord setting: {text!r}")
    return text.replace("%", "%%")


def render_program(program: Program, logs: Path) -> str:
    for key, value in program.environment.items():
        if any(c in value for c in "\"',\n") or not key.isidentifier():
            raise ValueError(f"{program.name}: {key} needs env_file (supervisord cannot quote {value!r})")
    env = ",".join(f'{key}="{_value(value)}"' for key, value in program.environment.items())
    lines = [
        f"[program:{program.name}]",
        f"command={_value(shlex.join(program.command()))}",
        f"directory={_value(str(program.directory))}",
        "autostart=true",
        "autorestart=true",
        f"startsecs={program.startsecs}",
        f"startretries={program.startretries}",
        f"stopsignal={program.stopsignal}",
        f"stopwaitsecs={program.stopwaitsecs}",
        # The whole process group goes: gunicorn's workers, a JVM's children, nginx's workers.
        "stopasgroup=true",
        "killasgroup=true",
        f"priority={program.priority}",
        "redirect_stderr=true",
        f"stdout_logfile={_value(str(logs / (program.name + '.log')))}",
        "stdout_logfile_maxbytes=20MB",
        "stdout_logfile_backups=3",
    ]
    if program.user:
        lines.append(f"user={program.user}")
    if env:
        lines.append(f"environment={env}")
    return "\n".join(lines) + "\n"


def _private_folder(path: Path) -> None:
    """Logs, supervisord's files, services' environments: 0700 (they hold personal data or secrets)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)


def _write_private(path: Path, text: str) -> None:
    """A configuration file (programs' environments may name secrets): 0600 from its first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        os.fchmod(fd, 0o600)
        out.write(text)


def write_env_file(path: Path, env: Mapping[str, str]) -> Path:
    """A service's environment, kept beside its program (secrets by file name mostly; 0600 regardless)."""
    _private_folder(path.parent)
    tmp = path.with_suffix(".tmp")
    tmp.touch(mode=0o600)
    tmp.write_text(json.dumps(dict(env), indent=1, sort_keys=True))
    tmp.replace(path)
    return path


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


class _UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path: str, timeout: float):
        super().__init__()
        self._path, self._timeout = path, timeout

    def make_connection(self, host):
        return _UnixConnection(self._path, self._timeout)


def supervisor_binary(tool: str = "supervisord") -> str:
    """The virtualenv's supervisord (or supervisorctl): beside this Python, in the project's .venv, or on PATH."""
    for candidate in (Path(sys.executable).parent / tool, ROOT / ".venv" / "bin" / tool):
        if candidate.exists():
            return str(candidate)
    if found := shutil.which(tool):
        return found
    sys.exit(f"[supervision] {tool} is not installed: `make venv` installs it (supervisor, pinned in pyproject.toml)")


class Supervisor:
    """The supervisord of one state folder: its configuration, its programs, and control over its socket."""

    def __init__(self, state: Path):
        self.state = Path(state)
        self.home = self.state / "supervisor"
        self.conf = self.home / "supervisord.conf"
        self.socket = self.home / "supervisor.sock"
        self.programs = self.home / "programs"
        self.logs = self.state / "logs"

    # ------------------------------------------------------------ configuration

    def write(self, owner: str, program: Program) -> None:
        """Add or replace a program's file; `update()` applies it to a running supervisord."""
        _private_folder(self.programs)
        _private_folder(self.logs)
        path = self.programs / f"{owner}-{program.name}.conf"
        text = render_program(program, self.logs)
        if not path.exists() or path.read_text() != text or stat.S_IMODE(path.stat().st_mode) != 0o600:
            _write_private(path, text)

    def remove(self, owner: str, keep: Sequence[str] = ()) -> None:
        """Drop the owner's program files, except those named in `keep`."""
        for path in self.programs.glob(f"{owner}-*.conf"):
            if path.stem.removeprefix(f"{owner}-") not in keep:
                path.unlink()

    def _write_main(self) -> None:
        for folder in (self.home, self.logs):
            _private_folder(folder)
        # supervisord opens its own log before it applies umask=077: created here, owner-only, it keeps that mode.
        os.close(os.open(self.logs / "supervisord.log", os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600))
        for path in self.logs.iterdir():  # logs an earlier run left readable by every local user
            path.chmod(0o600)
        if len(str(self.socket)) > 100:
            sys.exit(f"[supervision] {self.socket} is too long a path for a Unix socket; set SANGSUK_VAR")
        _write_private(
            self.conf,
            "; Written by deploy/local/supervision.py. Programs: programs/*.conf (servers.py, services.py).\n"
            "[unix_http_server]\n"
            f"file={_value(str(self.socket))}\n"
            "chmod=0700\n\n"
            "[supervisord]\n"
            # Every program's files (logs, Kafka's data, the mail kept) readable by their owner only.
            "umask=077\n"
            f"logfile={_value(str(self.logs / 'supervisord.log'))}\n"
            "logfile_maxbytes=5MB\n"
            "logfile_backups=2\n"
            f"pidfile={_value(str(self.home / 'supervisord.pid'))}\n"
            f"childlogdir={_value(str(self.logs))}\n"
            f"directory={_value(str(ROOT))}\n"
            "nodaemon=false\n"
            "minfds=4096\n\n"
            "[rpcinterface:supervisor]\n"
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
            "[supervisorctl]\n"
            f"serverurl=unix://{_value(str(self.socket))}\n\n"
            "[include]\n"
            f"files={_value(str(self.programs))}/*.conf\n")

    # ------------------------------------------------------------ control

    def rpc(self, timeout: float = 30):
        return xmlrpc.client.ServerProxy("http://localhost/RPC2", transport=_UnixTransport(str(self.socket), timeout))

    def alive(self) -> bool:
        try:
            return self.rpc(timeout=5).supervisor.getState()["statename"] == RUNNING
        except (OSError, xmlrpc.client.Error):
            return False

    def launch(self, timeout: float = 30) -> None:
        """supervisord up with the program files as they are now (each autostarts), or those files applied."""
        if self.alive():
            self.update()
            return
        self._write_main()
        self.programs.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)  # a stale socket from a supervisord that was killed
        subprocess.run([supervisor_binary(), "-c", str(self.conf)], check=True, cwd=ROOT)
        deadline = time.monotonic() + timeout
        while not self.alive():
            if time.monotonic() > deadline:
                tail = (self.logs / "supervisord.log").read_text(errors="replace")[-2000:]
                sys.exit(f"[supervision] supervisord did not answer on {self.socket}:\n{tail}")
            time.sleep(0.2)

    def update(self) -> None:
        """Apply the program files: start added ones, restart changed ones, stop and drop removed ones."""
        rpc = self.rpc()
        added, changed, removed = rpc.supervisor.reloadConfig()[0]
        for group in [*removed, *changed]:
            rpc.supervisor.stopProcessGroup(group)
            rpc.supervisor.removeProcessGroup(group)
        for group in [*changed, *added]:
            rpc.supervisor.addProcessGroup(group)

    def infos(self) -> dict[str, dict]:
        """Every program's state by name ({} when supervisord is not running)."""
        try:
            return {info["name"]: info for info in self.rpc(timeout=10).supervisor.getAllProcessInfo()}
        except (OSError, xmlrpc.client.Error):
            return {}

    def pid(self, name: str) -> int | None:
        """The program's pid while it is RUNNING."""
        info = self.infos().get(name)
        return info["pid"] if info and info["statename"] == RUNNING else None

    def ensure_started(self, name: str) -> None:
        """Start it unless it is running or on its way (a FATAL program, given up on, is tried again)."""
        info = self.infos().get(name)
        if info is None:
            sys.exit(f"[supervision] no program {name!r} in {self.conf}")
        if info["statename"] in ("STOPPED", "EXITED", "FATAL"):
            try:
                self.rpc().supervisor.startProcess(name, False)
            except xmlrpc.client.Fault as fault:
                if "ALREADY_STARTED" not in fault.faultString:
                    raise

    def stop_program(self, name: str) -> None:
        """Stopped on purpose: supervisord leaves it down until it is started again."""
        try:
            self.rpc(timeout=120).supervisor.stopProcess(name, True)
        except xmlrpc.client.Fault as fault:
            if "NOT_RUNNING" not in fault.faultString:
                raise

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"

    def wait_running(self, name: str, ready, what: str, timeout: float = 120) -> None:
        """Until the program is RUNNING and `ready()` says it serves; exits with its log if it gives up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.infos().get(name, {}).get("statename")
            if state == RUNNING and ready():
                return
            if state == "FATAL":
                break
            time.sleep(0.3)
        sys.exit(f"[supervision] {what} did not come up (state {state}); {self.logs / (name + '.log')}:\n"
                 f"{self.log_tail(name)}")

    def shutdown(self, timeout: float = 120) -> None:
        """Stop every program (process groups, in reverse priority) and supervisord itself."""
        if not self.alive():
            return
        pid = self.rpc().supervisor.getPID()
        self.rpc(timeout=timeout).supervisor.shutdown()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.2)

    def status(self) -> int:
        """`supervisorctl status` for people; 0 only when every program is RUNNING."""
        if not self.alive():
            print(f"supervisord is not running ({self.conf})")
            return 3
        subprocess.run([supervisor_binary("supervisorctl"), "-c", str(self.conf), "status"])
        infos = self.infos()
        return 0 if infos and all(i["statename"] == RUNNING for i in infos.values()) else 3

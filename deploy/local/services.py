#!/usr/bin/env python3
"""Start and stop the platform's services under gunicorn for `make run` (stdlib only).

A service runs when its folder has a wsgi.py, so services join `make run` as they are built.
Every service listens on loopback only; the public routes (ingest's) are reached through the
buffering proxy (nginx, `proxy.py`) on PROXY_PORT, which slow clients cannot starve.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VAR = Path(os.environ.get("SANGSUK_VAR", ROOT / "var")).resolve()
STATE = VAR / "run" / "services"
PORTS = {"ingest": 8081, "scoring": 8082, "ranking": 8083, "notify": 8084}
PROXY_PORT = int(os.environ.get("PROXY_PORT", "8080"))
# Only ingest is public (votes, QR pages, the LINE webhook); it trusts the one proxy hop in front of it.
PUBLIC = "ingest"
# Processes a service runs beside its web workers (started after it, stopped with it).
SIDECARS = {"scoring": ["-m", "services.scoring.consumer"]}


def present() -> list[str]:
    return [name for name in PORTS if (ROOT / "services" / name / "wsgi.py").exists()]


def _pid(name: str) -> int | None:
    try:
        pid = int((STATE / f"{name}.pid").read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def _wait_port(port: int, name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if _pid(name) is None:
            break
        time.sleep(0.2)
    sys.exit(f"[services] {name} did not come up; see {STATE / (name + '.log')}")


def service_env(name: str, port: int) -> dict[str, str]:
    """Loopback only (scoring's read API is internal); ingest trusts the proxy's one hop."""
    env = dict(os.environ, PORT=str(port), BIND=f"127.0.0.1:{port}",
               PROMETHEUS_MULTIPROC_DIR=str(STATE / f"{name}-metrics"))
    if name == PUBLIC:
        env["TRUSTED_PROXY_HOPS"] = "1"
    return env


def start(python: str) -> None:
    STATE.mkdir(parents=True, exist_ok=True)
    for name in present():
        if _pid(name):
            continue
        port = PORTS[name]
        env = service_env(name, port)
        argv = [python, "-m", "gunicorn", "-c", "python:shared.gunicorn_conf", f"services.{name}.wsgi:app"]
        with open(STATE / f"{name}.log", "ab") as out:
            proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        (STATE / f"{name}.pid").write_text(str(proc.pid))
        _wait_port(port, name)
        print(f"  {name:8} http://127.0.0.1:{port}   (log: {STATE / (name + '.log')})")
        if name in SIDECARS and not _pid(f"{name}-sidecar"):
            with open(STATE / f"{name}-sidecar.log", "ab") as out:
                side = subprocess.Popen([python, *SIDECARS[name]], cwd=ROOT, env=env, stdout=out,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
            (STATE / f"{name}-sidecar.pid").write_text(str(side.pid))
    if PUBLIC in present() and not _pid("proxy"):
        _start_proxy()


def _start_proxy() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import proxy

    config = proxy.render(STATE / "proxy", port=PROXY_PORT, ingest_port=PORTS[PUBLIC])
    with open(STATE / "proxy.log", "ab") as out:
        proc = subprocess.Popen(proxy.command(config), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    (STATE / "proxy.pid").write_text(str(proc.pid))
    _wait_port(PROXY_PORT, "proxy")
    print(f"  {'public':8} http://127.0.0.1:{PROXY_PORT}   (nginx in front of ingest; state: {STATE / 'proxy'})")


def stop() -> None:
    for name in ["proxy", *PORTS, *(f"{n}-sidecar" for n in SIDECARS)]:
        pid = _pid(name)
        if pid:
            os.killpg(pid, signal.SIGTERM)
            for _ in range(100):
                if _pid(name) is None:
                    break
                time.sleep(0.2)
        (STATE / f"{name}.pid").unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    start(args.python) if args.action == "start" else stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

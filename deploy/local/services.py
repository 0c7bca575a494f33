#!/usr/bin/env python3
"""Start and stop the platform's services for `make run`: every process each service's manifest declares.

Standard library only, plus the manifests (services/<name>/manifest.py, which import nothing else),
so services join `make run` by declaring their processes; nothing here names one.
Every web process listens on loopback only; a service whose manifest says `public` is reached
through the buffering proxy (Debian's nginx, `proxy.py`) on PROXY_PORT, which slow clients cannot starve.
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
PROXY_PORT = int(os.environ.get("PROXY_PORT", "8080"))
sys.path.insert(0, str(ROOT))

from shared.manifest import ServiceManifest, manifests  # noqa: E402  (after the path is set)


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


def _spawn(python: str, name: str, argv: tuple[str, ...], env: dict[str, str]) -> None:
    with open(STATE / f"{name}.log", "ab") as out:
        proc = subprocess.Popen([python, *argv], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    (STATE / f"{name}.pid").write_text(str(proc.pid))


def service_env(manifest: ServiceManifest) -> dict[str, str]:
    """Loopback only (an internal read API such as scoring's stays on this machine); a public service
    trusts the proxy's one hop for the client's address."""
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(STATE / f"{manifest.name}-metrics"))
    if manifest.port is not None:
        env["PORT"] = str(manifest.port)
        env["BIND"] = f"127.0.0.1:{manifest.port}"
    if manifest.public:
        env["TRUSTED_PROXY_HOPS"] = "1"
    if manifest.state_dir_env and manifest.state_dir_env not in os.environ:
        env[manifest.state_dir_env] = str(STATE / f"{manifest.name}-state")
    return env


def start_service(python: str, manifest: ServiceManifest) -> None:
    """The web process first (once it listens, the service is up), then the others beside it."""
    env = service_env(manifest)
    ordered = sorted(manifest.processes.items(), key=lambda item: item[0] != "web")
    for process, argv in ordered:
        name = manifest.name if process == "web" else f"{manifest.name}-{process}"
        if _pid(name):
            continue
        _spawn(python, name, argv, env)
        if process == "web" and manifest.port is not None:
            _wait_port(manifest.port, name)
            print(f"  {manifest.name:8} http://127.0.0.1:{manifest.port}   (log: {STATE / (name + '.log')})")


def start(python: str) -> None:
    STATE.mkdir(parents=True, exist_ok=True)
    for manifest in manifests():
        if manifest.processes:
            start_service(python, manifest)
    public = [m for m in manifests() if m.public and m.port is not None]
    if len(public) > 1:
        sys.exit(f"[services] the local proxy fronts one public service; manifests say {[m.name for m in public]}")
    if public and not _pid("proxy"):
        _start_proxy(public[0])


def _start_proxy(manifest: ServiceManifest) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import proxy

    routes = [(m.name, path, m.port) for m in manifests() if m.port is not None for path in m.public_paths]
    config = proxy.render(STATE / "proxy", port=PROXY_PORT, ingest_port=manifest.port, routes=routes)
    with open(STATE / "proxy.log", "ab") as out:
        proc = subprocess.Popen(proxy.command(config), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    (STATE / "proxy.pid").write_text(str(proc.pid))
    _wait_port(PROXY_PORT, "proxy")
    if routes:
        print(f"  {'website':8} http://127.0.0.1:{PROXY_PORT}/   (ranking's public site through the same proxy)")
    print(f"  {'public':8} http://127.0.0.1:{PROXY_PORT}   (nginx in front of {manifest.name}; state: "
          f"{STATE / 'proxy'})")


def stop() -> None:
    """Every process started here (one pid file each), whatever the manifests say now."""
    for pid_file in sorted(STATE.glob("*.pid")):
        name = pid_file.stem
        pid = _pid(name)
        if pid:
            os.killpg(pid, signal.SIGTERM)
            for _ in range(100):
                if _pid(name) is None:
                    break
                time.sleep(0.2)
        pid_file.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    start(args.python) if args.action == "start" else stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

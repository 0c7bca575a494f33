#!/usr/bin/env python3
"""The platform's services under `make run`: every process each service's manifest declares, as programs of
the run profile's supervisord (deploy/local/supervision.py), which restarts whatever dies.

Standard library only, plus the manifests (services/<name>/manifest.py, which import nothing else),
so services join `make run` by declaring their processes; nothing here names one.
Every web process listens on loopback only; a service whose manifest says `public` is reached
through the buffering proxy (Debian's nginx, `proxy.py`) on PROXY_PORT, which slow clients cannot starve.
Beside them run the stack's own programs (`local_programs`: the mail server, the LINE stand-in, the proxy).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from shared.manifest import ServiceManifest, manifests  # noqa: E402  (after the path is set)


def _servers():
    """servers.py (by file: deploy/local is not a package), shared with the tests' copy when loaded."""
    name = "sangsuk_local_servers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "servers.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


servers = _servers()
proxy = servers.sibling("proxy")
Program, Supervisor, write_env_file = (servers.supervision.Program, servers.supervision.Supervisor,
                                       servers.supervision.write_env_file)

SERVICES = "service"  # the owner of these program files in the supervisord (servers.py's are "server")
PROXY_PORT = int(os.environ.get("PROXY_PORT", "8080"))
LINE_STANDIN_PORT = int(os.environ.get("LINE_STANDIN_PORT", "8086"))
DEV_SECRETS = ROOT / "var" / "secrets"  # the Makefile's SECRETS: `sangsuk dev-secrets` writes the LINE pair there


def run_supervisor() -> Supervisor:
    return servers.supervisor(servers.profile("run"))


def run_state() -> Path:
    """Services' state under make run: metrics and shared state folders, env files, the proxy's state."""
    return servers.profile("run").state / "services"


def program_name(manifest: ServiceManifest, process: str) -> str:
    return manifest.name if process == "web" else f"{manifest.name}-{process}"


def service_env(manifest: ServiceManifest, state: Path | None = None) -> dict[str, str]:
    """Loopback only (an internal read API such as scoring's stays on this machine); a public service
    trusts the proxy's one hop for the client's address."""
    state = state or run_state()
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(state / f"{manifest.name}-metrics"))
    if manifest.port is not None:
        env["PORT"] = str(manifest.port)
        env["BIND"] = f"127.0.0.1:{manifest.port}"
    if manifest.public:
        env["TRUSTED_PROXY_HOPS"] = "1"
    if manifest.state_dir_env and manifest.state_dir_env not in os.environ:
        env[manifest.state_dir_env] = str(state / f"{manifest.name}-state")
    return {**env, **line_env()}


def line_env() -> dict[str, str]:
    """LINE under make run: the local stand-in (services/channels/linedev) with the dev channel secret and
    token, so ingest's webhook and notify's pushes work without a LINE account. A LINE_API_HOST of your own
    (a real channel, with its LINE_CHANNEL_* set) turns the stand-in off; production never runs this file."""
    if os.environ.get("LINE_API_HOST"):
        return {}
    return {"LINE_API_HOST": f"http://127.0.0.1:{LINE_STANDIN_PORT}",
            "LINE_CHANNEL_SECRET_FILE": str(DEV_SECRETS / "line-channel-secret"),
            "LINE_CHANNEL_ACCESS_TOKEN_FILE": str(DEV_SECRETS / "line-access-token")}


def line_program(python: str, state: Path) -> Program | None:
    """The stand-in: LINE's reply and push endpoints for the services, signed webhooks to ingest through the
    proxy (as LINE reaches the public address), and a chat page on LINE_STANDIN_PORT."""
    env = line_env()
    if not env:
        return None
    webhook = os.environ.get("PUBLIC_BASE_URL", f"http://127.0.0.1:{PROXY_PORT}").rstrip("/")
    argv = [python, "-m", "services.channels.linedev", "--port", str(LINE_STANDIN_PORT),
            "--webhook", f"{webhook}/v1/channels/line/webhook", "--secret-file", env["LINE_CHANNEL_SECRET_FILE"],
            "--token-file", env["LINE_CHANNEL_ACCESS_TOKEN_FILE"]]
    return _with_env(Program("line", argv, priority=400), dict(os.environ), state)


def _with_env(program: Program, env: dict[str, str], state: Path) -> Program:
    """The program run with exactly `env` (kept in a file); the file's digest in the program's settings, so
    a `make run` with another environment restarts it (supervisord compares settings, not files)."""
    path = write_env_file(state / "env" / f"{program.name}.json", env)
    digest = hashlib.sha256(json.dumps(env, sort_keys=True).encode()).hexdigest()[:16]
    return replace(program, env_file=path, environment={"SANGSUK_ENV_DIGEST": digest})


def service_programs(python: str, manifest: ServiceManifest, state: Path) -> list[Program]:
    """One program per declared process, the web one first; all with the service's environment."""
    env = service_env(manifest, state)
    ordered = sorted(manifest.processes.items(), key=lambda item: item[0] != "web")
    return [_with_env(Program(program_name(manifest, process), [python, *argv], priority=500), env, state)
            for process, argv in ordered]


def public_manifest() -> ServiceManifest | None:
    public = [m for m in manifests() if m.public and m.port is not None]
    if len(public) > 1:
        sys.exit(f"[services] the local proxy fronts one public service; manifests say {[m.name for m in public]}")
    return public[0] if public else None


def proxy_program(manifest: ServiceManifest, state: Path, port: int) -> Program:
    """nginx in front of the public service, and of the paths other services publish (manifests'
    `public_paths`: ranking's website)."""
    routes = [(m.name, path, m.port) for m in manifests() if m.port is not None for path in m.public_paths]
    config = proxy.render(state / "proxy", port=port, ingest_port=manifest.port, routes=routes)
    return Program("proxy", proxy.command(config), priority=600)


def local_programs(python: str, state: Path) -> list[Program]:
    """The stack's own programs beside the services': one entry each, in the foreground (supervisord
    restarts it, logs it in var/run/logs/, `make stop` stops it): the mail server, the LINE stand-in, Prometheus and
    Alertmanager (deploy/monitoring/launch.py renders their configuration, then execs the binary), the proxy."""
    mail = Program("mail", [python, "-m", "services.notify.devmail", "--dir", str(state.parent / "mail"),
                            "--port", os.environ.get("SMTP_PORT", "8025")], priority=400)
    programs = [_with_env(mail, dict(os.environ), state)]
    if (line := line_program(python, state)) is not None:
        programs.append(line)
    for binary in ("prometheus", "alertmanager"):
        argv = [python, str(ROOT / "deploy" / "monitoring" / "launch.py"), binary, "--profile", "run"]
        launcher = Program(binary, argv, priority=700)
        programs.append(_with_env(launcher, dict(os.environ), state))
    if (public := public_manifest()) is not None:
        programs.append(proxy_program(public, state, PROXY_PORT))
    return programs


def _serving(port: int) -> bool:
    return servers.port_open(port)


def apply(sup: Supervisor, programs: list[Program], *, prune: bool = False) -> None:
    """Write the programs, apply them to the supervisord, and start any that is down (FATAL included): a
    second `make run` brings back whatever gave up."""
    for program in programs:
        sup.write(SERVICES, program)
    if prune:
        sup.remove(SERVICES, keep=[p.name for p in programs])
    sup.launch()
    for program in programs:
        sup.ensure_started(program.name)


def start_service(sup: Supervisor, python: str, manifest: ServiceManifest, state: Path) -> None:
    """A service's processes under `sup`; returns once the web process listens."""
    apply(sup, service_programs(python, manifest, state))
    if "web" in manifest.processes and manifest.port is not None:
        sup.wait_running(manifest.name, lambda: _serving(manifest.port), manifest.name)


def start(python: str) -> None:
    sup, state = run_supervisor(), run_state()
    state.mkdir(parents=True, exist_ok=True)
    served = [m for m in manifests() if m.processes]
    programs = [p for m in served for p in service_programs(python, m, state)] + local_programs(python, state)
    apply(sup, programs, prune=True)
    for manifest in served:
        if "web" in manifest.processes and manifest.port is not None:
            sup.wait_running(manifest.name, lambda m=manifest: _serving(m.port), manifest.name)
            log = sup.logs / f"{manifest.name}.log"
            print(f"  {manifest.name:8} http://127.0.0.1:{manifest.port}   (log: {log})")
    if (public := public_manifest()) is not None:
        sup.wait_running("proxy", lambda: _serving(PROXY_PORT), "proxy")
        print(f"  {'public':8} http://127.0.0.1:{PROXY_PORT}   (nginx in front of {public.name}; state: "
              f"{state / 'proxy'})")
        if any(m.public_paths for m in manifests()):
            print(f"  {'website':8} http://127.0.0.1:{PROXY_PORT}/   (ranking's public site through the same proxy)")
    print(f"  {'mail':8} smtp://127.0.0.1:{os.environ.get('SMTP_PORT', '8025')}   (every mail kept as an .eml file in "
          f"{state.parent / 'mail'})")
    if line_env():
        sup.wait_running("line", lambda: _serving(LINE_STANDIN_PORT), "line")
        print(f"  {'line':8} http://127.0.0.1:{LINE_STANDIN_PORT}/   (LINE stand-in: chat as a citizen with the bot; "
              "docs/channels.md)")
    print(f"  {'logs':8} {sup.logs}/<program>.log   (every program's state: make status)")


def stop(sup: Supervisor | None = None) -> None:
    """The services' programs (and the mail server, the proxy) stopped and dropped; the servers stay."""
    sup = sup or run_supervisor()
    sup.remove(SERVICES)
    if sup.alive():
        sup.update()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    start(args.python) if args.action == "start" else stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

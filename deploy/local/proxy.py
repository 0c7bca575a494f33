#!/usr/bin/env python3
"""The local buffering proxy (Debian's nginx) in front of ingest, run as the project's own process.

Config from `deploy/local/proxy/nginx.conf.template`, state (pid, temp files, error log) under the
given state directory, its own port. Stdlib only: `deploy/local/services.py` and the tests use it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from string import Template

TEMPLATE = Path(__file__).resolve().parent / "proxy" / "nginx.conf.template"
NGINX_CANDIDATES = ("nginx", "/usr/sbin/nginx")


def nginx_binary() -> str:
    for candidate in NGINX_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    raise SystemExit("nginx is required for the proxy in front of ingest: `make nginx` installs Debian's")


def routes_config(routes: list[tuple[str, str, int]]) -> tuple[str, str]:
    """Upstreams and locations for (service, nginx location, port): paths other services serve publicly."""
    upstreams, locations = [], []
    for service in sorted({s for s, _, _ in routes}):
        port = next(p for s, _, p in routes if s == service)
        upstreams.append(f"    upstream svc_{service} {{\n        server 127.0.0.1:{port};\n"
                         "        keepalive 16;\n    }")
    for service, location, _ in routes:
        locations.append(f"        location {location} {{\n            proxy_pass http://svc_{service};\n"
                         "            include ${state}/proxy_common.conf;\n        }")
    return "\n".join(upstreams), "\n".join(locations)


COMMON = """proxy_http_version 1.1;
proxy_set_header Connection "";
proxy_set_header Host $host;
proxy_set_header X-Forwarded-For $remote_addr;
proxy_set_header X-Forwarded-Proto $scheme;
proxy_request_buffering on;
proxy_buffering on;
proxy_connect_timeout 5s;
proxy_read_timeout 30s;
proxy_send_timeout 30s;
"""


def render(state: Path, *, port: int, ingest_port: int, header_timeout_s: int = 10, body_timeout_s: int = 10,
           routes: list[tuple[str, str, int]] = ()) -> Path:
    """Write the config for these ports into `state` and return its path. `routes`: (service, nginx
    location, port) of the paths other services serve publicly (manifests' `public_paths`)."""
    state.mkdir(parents=True, exist_ok=True)
    (state / "proxy_common.conf").write_text(COMMON)
    upstreams, locations = routes_config(list(routes))
    text = Template(TEMPLATE.read_text()).safe_substitute(
        state=str(state.resolve()), port=port, ingest_port=ingest_port, header_timeout_s=header_timeout_s,
        body_timeout_s=body_timeout_s, upstreams=upstreams, locations=locations)
    text = Template(text).safe_substitute(state=str(state.resolve()))
    config = state / "nginx.conf"
    config.write_text(text)
    return config


def command(config: Path) -> list[str]:
    """nginx in the foreground (no daemon): the caller owns the process and stops it with SIGTERM/SIGQUIT."""
    return [nginx_binary(), "-e", str(config.parent / "error.log"), "-p", str(config.parent), "-c", str(config),
            "-g", "daemon off;"]


def check(config: Path) -> None:
    subprocess.run([*command(config)[:-2], "-t", "-q"], check=True)

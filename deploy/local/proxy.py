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


def render(state: Path, *, port: int, ingest_port: int, header_timeout_s: int = 10, body_timeout_s: int = 10) -> Path:
    """Write the config for these ports into `state` and return its path."""
    state.mkdir(parents=True, exist_ok=True)
    text = Template(TEMPLATE.read_text()).safe_substitute(
        state=str(state.resolve()), port=port, ingest_port=ingest_port, header_timeout_s=header_timeout_s,
        body_timeout_s=body_timeout_s)
    config = state / "nginx.conf"
    config.write_text(text)
    return config


def command(config: Path) -> list[str]:
    """nginx in the foreground (no daemon): the caller owns the process and stops it with SIGTERM/SIGQUIT."""
    return [nginx_binary(), "-e", str(config.parent / "error.log"), "-p", str(config.parent), "-c", str(config),
            "-g", "daemon off;"]


def check(config: Path) -> None:
    subprocess.run([*command(config)[:-2], "-t", "-q"], check=True)

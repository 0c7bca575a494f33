"""`python -m shared.launch [SERVICE [PROCESS]]`: run a service's processes as its manifest declares them.

The image's default command (deploy/Dockerfile, SERVICE from its build argument): one process is
exec'd in place; with none named, all of them run side by side (scoring: web and consumer) and the
first to exit ends the others, so the container restarts as a whole. Kubernetes runs one process
per container instead, with the same commands (tests/unit/test_service_manifests.py keeps them equal).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from shared.manifest import ServiceManifest, manifests


def find(service: str) -> ServiceManifest:
    for manifest in manifests():
        if manifest.name == service:
            return manifest
    raise SystemExit(f"no service {service!r} (services/<name>/manifest.py)")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    manifest = find(args[0] if args else os.environ.get("SERVICE", ""))
    if manifest.port is not None:
        os.environ.setdefault("PORT", str(manifest.port))
    if len(args) > 1:
        argv_of = manifest.processes.get(args[1])
        if argv_of is None:
            raise SystemExit(f"{manifest.name} has no process {args[1]!r}: {', '.join(manifest.processes)}")
        os.execv(sys.executable, [sys.executable, *argv_of])
    if not manifest.processes:
        raise SystemExit(f"{manifest.name} declares no process to run")
    children = [subprocess.Popen([sys.executable, *argv]) for argv in manifest.processes.values()]

    def forward(signum, _frame) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, forward)
    first_code = os.waitstatus_to_exitcode(os.wait()[1])
    forward(signal.SIGTERM, None)
    for child in children:
        child.wait()
    return first_code


if __name__ == "__main__":
    sys.exit(main())

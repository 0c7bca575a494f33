"""make run's starter (deploy/local/services.py) and a supervisord of the test's own, for tests of the local stack."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def local_services():
    """deploy/local/services.py as a module (a stdlib script beside servers.py, not part of the package)."""
    spec = importlib.util.spec_from_file_location("local_services", ROOT / "deploy" / "local" / "services.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


@contextmanager
def own_supervisor(state: Path) -> Iterator:
    """A supervisord in `state` with no program yet; shut down (every program with it) on the way out."""
    supervisor = local_services().Supervisor(state)
    supervisor.launch()
    try:
        yield supervisor
    finally:
        supervisor.shutdown()

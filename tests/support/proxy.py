"""The local buffering proxy (deploy/local/proxy.py, Debian's nginx) as a test process."""

from __future__ import annotations

import importlib.util
import socket
import tempfile
import time
from pathlib import Path

from tests.support.processes import ROOT, ManagedProcess, free_port


def _proxy_module():
    spec = importlib.util.spec_from_file_location("local_proxy", ROOT / "deploy" / "local" / "proxy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ProxyProcess(ManagedProcess):
    def __init__(self, ingest_port: int, *, header_timeout_s: int = 10, routes: list[tuple[str, str, int]] = ()):
        proxy = _proxy_module()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        state = Path(tempfile.mkdtemp(prefix="proxy-"))
        config = proxy.render(state, port=self.port, ingest_port=ingest_port, header_timeout_s=header_timeout_s,
                              routes=routes)
        super().__init__(proxy.command(config), {}, log_prefix="proxy-")

    def start(self, timeout_s: float = 15) -> ProxyProcess:
        self.spawn()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited at start:\n{self.output()}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nginx did not listen:\n{self.output()}")

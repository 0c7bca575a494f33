"""The consumer's liveness for the web process's /readyz: a small status file per consumer process.

The consumer is another OS process than the web workers, so it cannot answer /readyz itself; it
writes `consumer-<pid>.json` in the shared state directory and the web process reads the freshest.
Other processes beside the web one (notify's dispatcher) beat the same way under their own name.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


class Heartbeat:
    def __init__(self, state_dir: Path, *, every_s: float = 1.0, process: str = "consumer"):
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / f"{process}-{os.getpid()}.json"
        self.every_s = every_s
        self._last = 0.0

    def beat(self, ready: bool, *, force: bool = False) -> None:
        now = time.time()
        if not force and now - self._last < self.every_s:
            return
        self._last = now
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"ts": now, "ready": ready, "pid": os.getpid()}))
        tmp.replace(self.path)


def consumer_ready(state_dir: Path, stale_s: float) -> bool:
    """The freshest consumer heartbeat is recent and says its batches succeed."""
    newest: dict | None = None
    for path in state_dir.glob("consumer-*.json"):
        try:
            beat = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if newest is None or beat["ts"] > newest["ts"]:
            newest = beat
    return newest is not None and newest["ready"] and time.time() - newest["ts"] < stale_s


def heartbeat_age_s(state_dir: Path, now: float | None = None, process: str = "consumer") -> float:
    """Seconds since the freshest heartbeat of `process` in `state_dir`; infinity when there is none."""
    newest = None
    for path in state_dir.glob(f"{process}-*.json"):
        try:
            ts = float(json.loads(path.read_text())["ts"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        newest = ts if newest is None else max(newest, ts)
    if newest is None:
        return float("inf")
    return max(0.0, (time.time() if now is None else now) - newest)


class HeartbeatCollector:
    """`stream_consumer_heartbeat_age_seconds{service,process}`, computed by the web process at each scrape.

    A consumer's own gauges live on in its multiprocess files after it dies (`stream_consumer_ready`
    would still say 1), so Prometheus learns that a consumer process (or notify's dispatcher) is gone
    from the age of its heartbeat, which only a living process refreshes (docs/runbook.md#consumerdown).
    """

    def __init__(self, service: str, state_dir: Path, processes: tuple[str, ...] = ("consumer",)):
        self.service, self.state_dir, self.processes = service, Path(state_dir), processes

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        family = GaugeMetricFamily("stream_consumer_heartbeat_age_seconds",
                                   "Seconds since the freshest heartbeat of this pod's process (+Inf: none yet)",
                                   labels=["service", "process"])
        for process in self.processes:
            family.add_metric([self.service, process], heartbeat_age_s(self.state_dir, process=process))
        yield family

"""A consumer's settings from the environment, one prefix per service (SCORING_MAX_BATCH, RANKING_…)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StreamConfig:
    group_id: str
    # Where the consumer process leaves its metrics files and heartbeat for the web process.
    state_dir: Path
    max_batch: int = 2000
    poll_timeout_ms: int = 500
    backoff_initial_s: float = 0.25
    backoff_max_s: float = 10.0
    heartbeat_stale_s: float = 30.0
    flush_timeout_s: float = 30.0
    # No records for this long while the broker holds records past our positions: the consumer stops.
    stall_s: float = 60.0
    # Every attempt failing for this long: the consumer stops, to be restarted with fresh clients (a client
    # can stay wedged after the broker restarts: every flush timing out while the broker answers others).
    give_up_s: float = 300.0
    profile_path: str | None = None  # cProfile output, for a benchmark's "where does the time go"

    @classmethod
    def from_env(cls, prefix: str, *, group_id: str, max_batch: int = 2000,
                 env: Mapping[str, str] | None = None) -> StreamConfig:
        """`prefix` names the service's variables: SCORING gives SCORING_GROUP_ID, SCORING_STATE_DIR, …"""
        env = os.environ if env is None else env

        def get(name: str, default: object) -> str:
            return env.get(f"{prefix}_{name}", str(default))

        return cls(
            group_id=get("GROUP_ID", group_id),
            state_dir=Path(get("STATE_DIR", Path(tempfile.gettempdir()) / f"sangsuk-{prefix.lower()}")),
            max_batch=int(get("MAX_BATCH", max_batch)),
            poll_timeout_ms=int(get("POLL_TIMEOUT_MS", cls.poll_timeout_ms)),
            backoff_initial_s=float(get("BACKOFF_INITIAL_S", cls.backoff_initial_s)),
            backoff_max_s=float(get("BACKOFF_MAX_S", cls.backoff_max_s)),
            heartbeat_stale_s=float(get("HEARTBEAT_STALE_S", cls.heartbeat_stale_s)),
            flush_timeout_s=float(get("FLUSH_TIMEOUT_S", cls.flush_timeout_s)),
            stall_s=float(get("STALL_S", cls.stall_s)),
            give_up_s=float(get("GIVE_UP_S", cls.give_up_s)),
            profile_path=env.get(f"{prefix}_PROFILE") or None,
        )

    @property
    def metrics_dir(self) -> Path:
        return self.state_dir / "metrics"

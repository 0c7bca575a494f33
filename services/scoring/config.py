"""Scoring settings from the environment."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from shared.config import Settings


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@dataclass(frozen=True)
class ScoringConfig:
    platform: Settings = field(default_factory=Settings)
    group_id: str = "scoring"
    # Campaign window in Bangkok days, inclusive; None = open (default: all time).
    campaign_start: date | None = None
    campaign_end: date | None = None
    # Per batch the store pays a fixed cost (one write per partition-day bucket, one per partition's
    # standings), so on a backlog bigger batches go faster: 50,000 measured ~1.6x 20,000 on FerretDB.
    # At a steady rate a poll returns what has arrived, so this does not slow freshness.
    max_batch: int = 50000
    poll_timeout_ms: int = 500
    # Where the consumer process leaves its metrics and heartbeat for the web process to read.
    state_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "sangsuk-scoring")
    heartbeat_stale_s: float = 30.0
    backoff_max_s: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ScoringConfig:
        env = os.environ if env is None else env
        default = cls()
        return cls(
            platform=Settings.from_env(env),
            group_id=env.get("SCORING_GROUP_ID", default.group_id),
            campaign_start=_day(env.get("CAMPAIGN_START")),
            campaign_end=_day(env.get("CAMPAIGN_END")),
            max_batch=int(env.get("SCORING_MAX_BATCH", default.max_batch)),
            poll_timeout_ms=int(env.get("SCORING_POLL_TIMEOUT_MS", default.poll_timeout_ms)),
            state_dir=Path(env.get("SCORING_STATE_DIR", str(default.state_dir))),
            heartbeat_stale_s=float(env.get("SCORING_HEARTBEAT_STALE_S", default.heartbeat_stale_s)),
            backoff_max_s=float(env.get("SCORING_BACKOFF_MAX_S", default.backoff_max_s)),
        )

    @property
    def metrics_dir(self) -> Path:
        return self.state_dir / "metrics"

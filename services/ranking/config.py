"""Ranking settings from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from services.ranking.formulas import Formula, parse_params
from shared.config import Settings
from shared.secrets import read_secret
from shared.stream.config import StreamConfig


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def formula_from_env(env: Mapping[str, str], min_sources: int = 1) -> Formula:
    """RANKING_FORMULA (bayes | mean | lower_bound) and RANKING_PARAMS ("prior_weight=20,min_votes=10");
    `min_sources` is the platform's MIN_SOURCES (scoring counts sources up to it)."""
    pairs = [p.strip() for p in env.get("RANKING_PARAMS", "").split(",") if p.strip()]
    return Formula(env.get("RANKING_FORMULA", "bayes"), parse_params(pairs), min_sources)


def central_office_keys(env: Mapping[str, str]) -> tuple[str, ...]:
    """CENTRAL_OFFICE_KEYS (or _FILE): one key or several, comma-separated (rotation). Empty: exports off."""
    raw = read_secret("CENTRAL_OFFICE_KEYS", env, required=False) or ""
    return tuple(k.strip() for k in raw.split(",") if k.strip())


def _stream(env: Mapping[str, str]) -> StreamConfig:
    # RANKING_GROUP_ID, RANKING_STATE_DIR, RANKING_MAX_BATCH, RANKING_POLL_TIMEOUT_MS, … (docs/stream.md).
    # A batch of scores.v1 is coalesced to one write per district, so a bigger batch costs little more.
    return StreamConfig.from_env("RANKING", group_id="ranking", max_batch=5000, env=env)


@dataclass(frozen=True)
class RankingConfig:
    platform: Settings = field(default_factory=Settings)
    stream: StreamConfig = field(default_factory=lambda: _stream({}))
    formula: Formula = field(default_factory=lambda: Formula("bayes"))
    # Same meaning as scoring's: inclusive Bangkok days of the campaign window (None = open).
    campaign_start: date | None = None
    campaign_end: date | None = None
    central_office_keys: tuple[str, ...] = ()
    # How often a web process asks the store whether the figures changed (a keyed read of one document).
    reload_interval_s: float = 0.2
    # The public site's vote links and QR codes (as ingest's; optional here: without it the district
    # page links to /d/<code> on the same host and shows no QR code). Never taken from a request's Host.
    public_base_url: str | None = None
    # Scoring's consumer group (SCORING_GROUP_ID, as scoring reads it): an award's close reports how far it had
    # decided votes.v1 (services/ranking/coverage.py).
    scoring_group: str = "scoring"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RankingConfig:
        env = os.environ if env is None else env
        default = cls()
        platform = Settings.from_env(env)
        return cls(
            platform=platform,
            stream=_stream(env),
            formula=formula_from_env(env, platform.min_sources),
            campaign_start=_day(env.get("CAMPAIGN_START")),
            campaign_end=_day(env.get("CAMPAIGN_END")),
            central_office_keys=central_office_keys(env),
            reload_interval_s=float(env.get("RANKING_RELOAD_S", default.reload_interval_s)),
            public_base_url=env.get("PUBLIC_BASE_URL") or None,
            scoring_group=env.get("SCORING_GROUP_ID") or default.scoring_group,
        )

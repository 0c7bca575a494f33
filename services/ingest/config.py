"""Ingest settings from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.config import Settings


@dataclass(frozen=True)
class IngestConfig:
    platform: Settings = field(default_factory=Settings)
    max_body_bytes: int = 64 * 1024
    # 500 votes with comments do not fit in 64 KiB; a batch may carry up to 1 MiB.
    max_batch_body_bytes: int = 1024 * 1024
    publish_timeout_s: float = 5.0
    idempotency_ttl_hours: int = 24
    # A pending claim older than this belongs to a request that died; a retry may take it over.
    stale_claim_s: float = 30.0
    ip_limit_per_minute: int = 30
    # Withdrawal codes tried per client address (or LINE user) per minute: what makes a code unguessable.
    story_withdrawals_per_minute: int = 5
    # Channels whose traffic comes straight from citizens' devices: throttled per client IP.
    ip_throttled_channels: frozenset[str] = frozenset({"qr", "web"})
    trusted_proxy_hops: int = 0
    expire_every_s: float = 600.0
    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IngestConfig:
        env = os.environ if env is None else env

        def channels(name: str, default: frozenset[str]) -> frozenset[str]:
            value = env.get(name)
            return default if value is None else frozenset(c.strip() for c in value.split(",") if c.strip())

        return cls(
            platform=Settings.from_env(env),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", cls.max_body_bytes)),
            max_batch_body_bytes=int(env.get("MAX_BATCH_BODY_BYTES", cls.max_batch_body_bytes)),
            publish_timeout_s=float(env.get("PUBLISH_TIMEOUT_S", cls.publish_timeout_s)),
            idempotency_ttl_hours=int(env.get("IDEMPOTENCY_TTL_HOURS", cls.idempotency_ttl_hours)),
            stale_claim_s=float(env.get("STALE_CLAIM_S", cls.stale_claim_s)),
            ip_limit_per_minute=int(env.get("IP_LIMIT_PER_MINUTE", cls.ip_limit_per_minute)),
            story_withdrawals_per_minute=int(env.get("STORY_WITHDRAWALS_PER_MINUTE",
                                                     cls.story_withdrawals_per_minute)),
            ip_throttled_channels=channels("IP_THROTTLED_CHANNELS", cls.ip_throttled_channels),
            trusted_proxy_hops=int(env.get("TRUSTED_PROXY_HOPS", cls.trusted_proxy_hops)),
            expire_every_s=float(env.get("EXPIRE_EVERY_S", cls.expire_every_s)),
        )

"""Ingest settings from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

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
    # Flag rules (docs/ingest.md): votes past these are published flagged and counted apart.
    address_daily_cap: int = 50  # per client address, per district, per Bangkok day
    address_burst_cap: int = 10  # per client address, per district, per burst window
    key_daily_cap: int = 1000  # per kiosk key, per district, per Bangkok day
    key_burst_cap: int = 60  # per kiosk key, per district, per burst window
    import_daily_cap: int = 3000  # per import key, per district, per Bangkok day
    import_batch_cap: int = 500  # per import key, per district, per burst window: one full batch
    bot_key_daily_cap: int = 3000  # per LINE/Facebook bot key, per district, per Bangkok day
    bot_key_burst_cap: int = 300  # per LINE/Facebook bot key, per district, per burst window
    voter_daily_cap: int = 3  # per LINE/Facebook user, districts per Bangkok day (all districts together)
    voter_burst_cap: int = 2  # per LINE/Facebook user, districts per burst window
    burst_window_min: int = 5
    address_flag_channels: frozenset[str] = frozenset({"qr", "web"})
    key_flag_channels: frozenset[str] = frozenset({"kiosk"})

    def flag_rules(self) -> dict[str, list]:
        """The rules each channel's votes are counted under (docs/ingest.md, "Flagged, not lost")."""
        from services.ingest.domain import FlagRules

        burst = timedelta(minutes=self.burst_window_min)
        rules: dict[str, list] = {}
        for channel in self.address_flag_channels:
            rules.setdefault(channel, []).append(
                FlagRules("address", self.address_daily_cap, self.address_burst_cap, burst))
        for channel in self.key_flag_channels:
            rules.setdefault(channel, []).append(FlagRules("key", self.key_daily_cap, self.key_burst_cap, burst))
        rules.setdefault("import", []).append(FlagRules("key", self.import_daily_cap, self.import_batch_cap, burst))
        for channel in ("line", "facebook"):
            rules.setdefault(channel, []).extend([
                FlagRules("key", self.bot_key_daily_cap, self.bot_key_burst_cap, burst),
                FlagRules("voter", self.voter_daily_cap, self.voter_burst_cap, burst, per_district=False)])
        return rules

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
            address_daily_cap=int(env.get("FLAG_ADDRESS_DAILY_CAP", cls.address_daily_cap)),
            address_burst_cap=int(env.get("FLAG_ADDRESS_BURST_CAP", cls.address_burst_cap)),
            key_daily_cap=int(env.get("FLAG_KEY_DAILY_CAP", cls.key_daily_cap)),
            key_burst_cap=int(env.get("FLAG_KEY_BURST_CAP", cls.key_burst_cap)),
            import_daily_cap=int(env.get("FLAG_IMPORT_DAILY_CAP", cls.import_daily_cap)),
            import_batch_cap=int(env.get("FLAG_IMPORT_BATCH_CAP", cls.import_batch_cap)),
            bot_key_daily_cap=int(env.get("FLAG_BOT_KEY_DAILY_CAP", cls.bot_key_daily_cap)),
            bot_key_burst_cap=int(env.get("FLAG_BOT_KEY_BURST_CAP", cls.bot_key_burst_cap)),
            voter_daily_cap=int(env.get("FLAG_VOTER_DAILY_CAP", cls.voter_daily_cap)),
            voter_burst_cap=int(env.get("FLAG_VOTER_BURST_CAP", cls.voter_burst_cap)),
            burst_window_min=int(env.get("FLAG_BURST_WINDOW_MIN", cls.burst_window_min)),
            address_flag_channels=channels("FLAG_ADDRESS_CHANNELS", cls.address_flag_channels),
            key_flag_channels=channels("FLAG_KEY_CHANNELS", cls.key_flag_channels),
        )

"""Notify settings from the environment (secrets from NAME or NAME_FILE)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.config import Settings
from shared.secrets import read_secret
from shared.stream.config import StreamConfig

LINE_DEFAULT_API_HOST = "https://api.line.me"


def _stream(env: Mapping[str, str]) -> StreamConfig:
    # NOTIFY_GROUP_ID, NOTIFY_STATE_DIR, NOTIFY_MAX_BATCH, NOTIFY_POLL_TIMEOUT_MS, … (shared/stream/config.py)
    return StreamConfig.from_env("NOTIFY", group_id="notify", env=env)


def webhook_allow_private(env: Mapping[str, str] | None = None) -> bool:
    """NOTIFY_WEBHOOK_ALLOW_PRIVATE: the development allowance for webhook receivers on private addresses."""
    env = os.environ if env is None else env
    return env.get("NOTIFY_WEBHOOK_ALLOW_PRIVATE", "").lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class NotifyConfig:
    platform: Settings = field(default_factory=Settings)
    stream: StreamConfig = field(default_factory=lambda: _stream({}))
    rules_file: str | None = None
    public_url: str = "http://127.0.0.1:8084"
    link_secret: str = ""
    link_max_age_s: int = 14 * 86400
    central_office_keys: tuple[str, ...] = ()
    line_access_token: str | None = None
    line_api_host: str = LINE_DEFAULT_API_HOST
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "alerts@amphoesangsook.com"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    max_attempts: int = 8
    retry_base_s: float = 2.0
    draft_grace_s: float = 60.0  # a draft older than this was left by a crash: finish it (outbox.py)
    ranking_url: str = "http://127.0.0.1:8083"  # ranking's internal API: the digest's rank is the board's
    # The development allowance: webhooks to loopback/private receivers (services/notify/targets.py).
    webhook_allow_private: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotifyConfig:
        env = os.environ if env is None else env
        d = cls()
        keys = read_secret("CENTRAL_OFFICE_KEYS", env, required=False) or ""
        return cls(
            platform=Settings.from_env(env),
            stream=_stream(env),
            rules_file=env.get("NOTIFY_RULES_FILE") or None,
            public_url=env.get("NOTIFY_PUBLIC_URL", d.public_url).rstrip("/"),
            link_secret=read_secret("NOTIFY_LINK_SECRET", env) or "",
            link_max_age_s=int(env.get("NOTIFY_LINK_MAX_AGE_S", d.link_max_age_s)),
            central_office_keys=tuple(k.strip() for k in keys.split(",") if k.strip()),
            line_access_token=read_secret("LINE_CHANNEL_ACCESS_TOKEN", env, required=False),
            line_api_host=env.get("LINE_API_HOST", d.line_api_host).rstrip("/"),
            ranking_url=env.get("RANKING_URL", d.ranking_url).rstrip("/"),
            smtp_host=env.get("SMTP_HOST") or None,
            smtp_port=int(env.get("SMTP_PORT", d.smtp_port)),
            smtp_from=env.get("SMTP_FROM", d.smtp_from),
            smtp_username=env.get("SMTP_USERNAME") or None,
            smtp_password=read_secret("SMTP_PASSWORD", env, required=False),
            smtp_starttls=env.get("SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
            max_attempts=int(env.get("NOTIFY_MAX_ATTEMPTS", d.max_attempts)),
            retry_base_s=float(env.get("NOTIFY_RETRY_BASE_S", d.retry_base_s)),
            draft_grace_s=float(env.get("NOTIFY_DRAFT_GRACE_S", d.draft_grace_s)),
            webhook_allow_private=webhook_allow_private(env),
        )

"""Channel settings from the environment: where citizens reach us, and how we reach LINE."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

LINE_DEFAULT_API_HOST = "https://api.line.me"


@dataclass(frozen=True)
class ChannelsConfig:
    # The address printed in QR codes. Empty: the QR endpoints use the address the request came to.
    public_base_url: str = ""
    line_account_id: str = "@amphoesangsook"
    line_api_host: str = LINE_DEFAULT_API_HOST
    line_comment_window_min: int = 30
    # A score quick reply older than this is stale: the citizen is asked to start again.
    line_postback_max_age_h: int = 24
    # The device cookie on the QR page: long-lived, as a phone comes back to the same office.
    device_cookie_days: int = 400

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ChannelsConfig:
        env = os.environ if env is None else env
        return cls(
            public_base_url=env.get("PUBLIC_BASE_URL", "").rstrip("/"),
            line_account_id=env.get("LINE_ACCOUNT_ID", cls.line_account_id),
            line_api_host=env.get("LINE_API_HOST", cls.line_api_host).rstrip("/"),
            line_comment_window_min=int(env.get("LINE_COMMENT_WINDOW_MIN", cls.line_comment_window_min)),
            line_postback_max_age_h=int(env.get("LINE_POSTBACK_MAX_AGE_H", cls.line_postback_max_age_h)),
            device_cookie_days=int(env.get("DEVICE_COOKIE_DAYS", cls.device_cookie_days)),
        )

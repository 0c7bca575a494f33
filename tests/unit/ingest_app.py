"""An ingest app wired to in-memory stand-ins, for fast API tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from services.channels.config import ChannelsConfig
from services.ingest.app import create_app
from services.ingest.auth import ChannelKeys
from services.ingest.bootstrap import bootstrap
from services.ingest.config import IngestConfig
from shared.counting import LogCounter
from shared.flags import FlagSettings, MemoryFlags
from tests.support.fakes import (
    Clock,
    MemoryClaims,
    MemoryLimiter,
    MemoryPublisher,
    MemoryStoryRegister,
)

KEYS = {"qr": "qr-key", "kiosk": "kiosk-key", "line": "line-key", "import": "import-key", "web": "web-key"}
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)  # 10:00 in Bangkok
PUBLIC_BASE_URL = "https://amphoesangsook.example"


@dataclass
class Harness:
    client: object
    publisher: MemoryPublisher
    claims: MemoryClaims
    clock: Clock
    stories: MemoryPublisher

    def post(self, body, *, channel="kiosk", headers=None, path="/v1/votes", raw=None, content_type=None):
        hdrs = {"Authorization": f"Bearer {KEYS[channel]}"} if channel else {}
        hdrs.update(headers or {})
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        return self.client.post(path, data=data, headers=hdrs, content_type=content_type or "application/json")

    def flag_reasons(self, **caps) -> list[str | None]:
        """What scoring's flag rules (shared/flags.py) decide for the votes published so far, in order: ingest
        no longer flags, it hashes into each event what the rules need."""
        counter = LogCounter(frozenset(e.district_code for e in self.publisher.events),
                             flags=MemoryFlags(FlagSettings(**caps).rules()))
        return [counter.vote(e).flag_reason for e in self.publisher.events]


def make_harness(limit_per_minute: int = 30, **config) -> Harness:
    publisher, claims, clock = MemoryPublisher(), MemoryClaims(), Clock(NOW)
    stories = MemoryPublisher()
    withdrawals = config.get("story_withdrawals_per_minute", IngestConfig.story_withdrawals_per_minute)
    app = create_app(bootstrap(
        IngestConfig(ip_limit_per_minute=limit_per_minute, **config),
        keys=ChannelKeys({ch: [k] for ch, k in KEYS.items()}),
        voter_secret=b"unit-test-secret",
        claims=claims, publisher=publisher,  # the per-IP window: the real one, in this process
        clock=clock, readiness={}, story_publisher=stories,
        story_register=MemoryStoryRegister(), story_limiter=MemoryLimiter(withdrawals),
        channels=ChannelsConfig(public_base_url=PUBLIC_BASE_URL),
    ))
    app.testing = False  # exercise the real error handlers
    return Harness(app.test_client(), publisher, claims, clock, stories)

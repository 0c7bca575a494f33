"""Environment for an ingest process pointed at a test's topics and database."""

from __future__ import annotations

import json

from shared.config import Settings

KEYS = {"kiosk": "it-kiosk-key", "qr": "it-qr-key", "import": "it-import-key"}
AUTH = {"Authorization": f"Bearer {KEYS['kiosk']}"}
PUBLIC_BASE_URL = "https://amphoesangsook.example"


def ingest_env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "MONGO_URI": settings.mongo_uri,
        "MONGO_DB": settings.mongo_db,
        "TOPIC_VOTES": settings.topics.votes,
        "TOPIC_STORIES": settings.topics.stories,
        "CHANNEL_KEYS": json.dumps(KEYS),
        "VOTER_HMAC_SECRET": "integration-test-secret",
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        **extra,
    }

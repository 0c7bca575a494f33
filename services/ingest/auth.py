"""Channel authentication: each channel has its own API keys (several, for rotation)."""

from __future__ import annotations

import hashlib
import hmac
import json

from shared.errors import ApiError
from shared.vote_rules import CHANNELS


class ChannelKeys:
    """Maps a bearer key to its channel. Only SHA-256 digests are kept in memory."""

    def __init__(self, keys_by_channel: dict[str, list[str]]):
        unknown = set(keys_by_channel) - set(CHANNELS)
        if unknown:
            raise ValueError(f"channel keys name unknown channels: {sorted(unknown)}")
        self._digests = [
            (hashlib.sha256(key.encode()).digest(), channel)
            for channel, keys in keys_by_channel.items()
            for key in keys
            if key
        ]

    @classmethod
    def from_json(cls, text: str) -> ChannelKeys:
        """`{"qr": "key" | ["key", "next-key"], …}`"""
        raw = json.loads(text)
        return cls({ch: [v] if isinstance(v, str) else list(v) for ch, v in raw.items()})

    def channel_for(self, authorization: str | None) -> str:
        return self.caller_for(authorization)[0]

    def caller_for(self, authorization: str | None) -> tuple[str, str]:
        """(channel, key id): the key id names one API key (a kiosk) without revealing it."""
        if not authorization:
            raise ApiError(401, "unauthenticated",
                           "send the channel's API key as 'Authorization: Bearer <key>'",
                           headers={"WWW-Authenticate": 'Bearer realm="sangsuk-ingest"'})
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiError(401, "unauthenticated", "the Authorization header must be 'Bearer <key>'",
                           headers={"WWW-Authenticate": 'Bearer realm="sangsuk-ingest"'})
        digest = hashlib.sha256(key.strip().encode()).digest()
        found = None
        for known, channel in self._digests:  # compare with every key: no early exit to time
            if hmac.compare_digest(known, digest):
                found = (channel, known.hex()[:16])
        if found is None:
            raise ApiError(401, "unauthenticated", "the API key is not known; check it or ask for a new one",
                           headers={"WWW-Authenticate": 'Bearer realm="sangsuk-ingest", error="invalid_token"'})
        return found

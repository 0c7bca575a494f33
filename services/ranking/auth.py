"""The central office's API keys for the export routes: 401 without a known key, 403 for a channel's key.

Only SHA-256 digests are kept; every known digest is compared (no early exit to time).
"""

from __future__ import annotations

import hashlib
import hmac
import json

from shared.errors import ApiError

REALM = 'Bearer realm="sangsuk-ranking-exports"'


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


class CentralOfficeKeys:
    def __init__(self, keys: tuple[str, ...], channel_keys_json: str | None = None):
        self._digests = [_digest(k) for k in keys]
        self._channel_digests: list[bytes] = []
        if channel_keys_json:
            for value in json.loads(channel_keys_json).values():
                for key in [value] if isinstance(value, str) else value:
                    self._channel_digests.append(_digest(key))

    @property
    def configured(self) -> bool:
        return bool(self._digests)

    def check(self, authorization: str | None) -> None:
        if not self.configured:
            raise ApiError(503, "exports_not_configured",
                           "exports need CENTRAL_OFFICE_KEYS (or CENTRAL_OFFICE_KEYS_FILE) to be set on the server")
        if not authorization:
            raise ApiError(401, "unauthenticated", "send the central office's API key as 'Authorization: Bearer <key>'",
                           headers={"WWW-Authenticate": REALM})
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiError(401, "unauthenticated", "the Authorization header must be 'Bearer <key>'",
                           headers={"WWW-Authenticate": REALM})
        digest = _digest(key.strip())
        central = any([hmac.compare_digest(digest, d) for d in self._digests])
        channel = any([hmac.compare_digest(digest, d) for d in self._channel_digests])
        if central:
            return
        if channel:
            raise ApiError(403, "forbidden", "this is a voting channel's key; exports need a central-office key")
        raise ApiError(401, "unauthenticated", "the API key is not known; check it or ask for a new one",
                       headers={"WWW-Authenticate": REALM + ', error="invalid_token"'})

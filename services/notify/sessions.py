"""The centre's browser sessions: tied to the central-office key that opened them, and ended by signing out.

A session is a signed cookie holding a session id and a fingerprint of the key typed at sign-in (an HMAC
under the link secret, so the cookie never carries the key). It is honoured only while that key is still one
of `CENTRAL_OFFICE_KEYS`: rotating the keys ends every session opened with a retired key. Signing out
records the session id as ended until the session would have expired anyway, so a copy of the cookie taken
before is refused too; those records carry a `due` hour and each sign-out deletes the ones that are over
(keyed, docs/store.md), so they never outnumber the sign-outs of one session lifetime.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from pymongo.collection import Collection

from shared.expiry import DUE, due_label, ensure_due_index, expire_due

SESSION_S = 8 * 3600


class CentreSessions:
    def __init__(self, secret: str, signouts: Collection):
        self.secret = secret
        self.serializer = URLSafeTimedSerializer(secret, salt="notify-centre-session")
        self.signouts = signouts

    def ensure_indexes(self) -> None:
        ensure_due_index(self.signouts)

    def fingerprint(self, key: str) -> str:
        return hmac.new(self.secret.encode(), b"centre-key\x1f" + key.strip().encode(), hashlib.sha256).hexdigest()

    def open(self, key: str) -> str:
        """The cookie value of a new session opened with `key` (already checked to be known)."""
        return self.serializer.dumps({"s": secrets.token_urlsafe(16), "k": self.fingerprint(key)})

    def _read(self, cookie: str) -> dict | None:
        try:
            data = self.serializer.loads(cookie, max_age=SESSION_S)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("s"), str) or not isinstance(data.get("k"), str):
            return None  # e.g. a session of the earlier form, which named no key
        return data

    def valid(self, cookie: str, keys: Iterable[str]) -> bool:
        """Signed, not expired, opened with a key that is still current, and not signed out."""
        data = self._read(cookie)
        if data is None:
            return False
        current = [self.fingerprint(k) for k in keys]
        if not any([hmac.compare_digest(data["k"], f) for f in current]):  # every key compared
            return False
        return self.signouts.find_one({"_id": data["s"]}, {"_id": 1}) is None

    def close(self, cookie: str, now: datetime) -> None:
        """End the session for good (a copy of the cookie is refused too) and forget the sign-outs that are over."""
        data = self._read(cookie)
        record_signout(self.signouts, data["s"] if data else None, now)


def record_signout(signouts: Collection, session_id: str | None, now: datetime) -> None:
    """A session ended for good until it would have expired anyway (keyed upsert), and the sign-outs that
    are over deleted: they never outnumber one session lifetime's sign-outs."""
    if session_id is not None:
        signouts.update_one({"_id": session_id}, {"$set": {DUE: due_label(now + timedelta(seconds=SESSION_S))}},
                            upsert=True)
    expire_due(signouts, now)

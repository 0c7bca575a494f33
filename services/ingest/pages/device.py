"""The device's first-party cookie and the form's CSRF token, both signed by the server.

The cookie holds a random device id: it is the page's voter identity, which intake HMACs
like any other, so one vote per district per day holds without knowing who the citizen is.
The CSRF token binds a form to that device and carries the form's nonce, which doubles as the
idempotency key of its submission (a double tap publishes once).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

COOKIE_NAME = "ssk_device"


class CsrfError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "expired" | "cookie" | "invalid"


@dataclass(frozen=True)
class FormTicket:
    device_id: str
    nonce: str


class DeviceSigner:
    def __init__(self, secret: bytes, *, csrf_max_age_s: int = 12 * 3600):
        self._cookie = URLSafeSerializer(secret, salt="qr-device-cookie")
        self._csrf = URLSafeTimedSerializer(secret, salt="qr-form-csrf")
        self.csrf_max_age_s = csrf_max_age_s

    @staticmethod
    def new_device_id() -> str:
        return secrets.token_urlsafe(18)

    def cookie_value(self, device_id: str) -> str:
        return self._cookie.dumps(device_id)

    def device_from_cookie(self, value: str | None) -> str | None:
        if not value:
            return None
        try:
            device_id = self._cookie.loads(value)
        except BadSignature:
            return None
        return device_id if isinstance(device_id, str) else None

    def csrf_token(self, device_id: str) -> str:
        return self._csrf.dumps({"d": device_id, "n": secrets.token_urlsafe(12)})

    def check_csrf(self, token: str | None, device_id: str | None) -> FormTicket:
        try:
            data = self._csrf.loads(token or "", max_age=self.csrf_max_age_s)
        except SignatureExpired as exc:
            raise CsrfError("expired") from exc
        except BadSignature as exc:
            raise CsrfError("invalid") from exc
        if device_id is None:
            raise CsrfError("cookie")
        if not isinstance(data, dict) or data.get("d") != device_id:
            raise CsrfError("invalid")
        return FormTicket(device_id, str(data.get("n")))

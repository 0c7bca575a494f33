"""Signed, expiring links to an alert's page: no password, but only the receiver's link opens it.

The token names the alert and the directory key it was sent to (so the page knows who acts); it is
signed with NOTIFY_LINK_SECRET and refused after its lifetime (default 14 days).
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class LinkError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Holder:
    alert_id: str
    contact_key: str


def signed_data(serializer: URLSafeTimedSerializer, token: str, max_age_s: int, fields: tuple[str, ...],
                expired: str) -> dict:
    """The signed dict a link carries, each of `fields` a string; LinkError (bad_link, link_expired) otherwise.
    A token longer than any we sign is refused before its signature is checked."""
    if len(token) > 512:
        raise LinkError("bad_link", "this link is not valid")
    try:
        data = serializer.loads(token, max_age=max_age_s)
    except SignatureExpired as exc:
        raise LinkError("link_expired", expired) from exc
    except BadSignature as exc:
        raise LinkError("bad_link", "this link is not valid") from exc
    if not isinstance(data, dict) or not all(isinstance(data.get(f), str) for f in fields):
        raise LinkError("bad_link", "this link is not valid")
    return data


class AlertLinks:
    def __init__(self, secret: str, base_url: str, *, max_age_s: int = 14 * 86400):
        self.serializer = URLSafeTimedSerializer(secret, salt="notify-alert-page")
        self.base_url = base_url.rstrip("/")
        self.max_age_s = max_age_s

    def token(self, alert_id: str, contact_key: str) -> str:
        return self.serializer.dumps({"a": alert_id, "c": contact_key})

    def url(self, alert_id: str, contact_key: str) -> str:
        return f"{self.base_url}/a/{self.token(alert_id, contact_key)}"

    def read(self, token: str) -> Holder:
        data = signed_data(self.serializer, token, self.max_age_s, ("a", "c"),
                           "this link has expired; open the newest message about the alert")
        return Holder(data["a"], data["c"])

"""Outgoing webhooks signed per the Standard Webhooks specification (standardwebhooks.com):
`webhook-id` (the message id, the same on every attempt so receivers can deduplicate),
`webhook-timestamp` (seconds, this attempt), `webhook-signature` `v1,<base64 HMAC-SHA256 of
"id.timestamp.body">` with the endpoint's `whsec_` secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlsplit

import urllib3

from services.notify.directory import Contact
from services.notify.targets import TargetRefused, pinned_address
from services.notify.transports import GiveUp, Outgoing, Retry, retry_after_seconds


def secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()).decode()


class WebhookTransport:
    """Posts to the receiver's URL at the address checked at send time (services/notify/targets.py): the name
    is resolved once, every address checked, and the connection made to that address (TLS still verifies the
    name), so a name re-pointed at a private address between check and connect gains nothing. No redirects."""

    name = "webhook"

    def __init__(self, *, timeout_s: float = 10.0, clock=time.time, allow_private: bool = False):
        self.timeout = urllib3.Timeout(connect=5.0, read=timeout_s)
        self.clock = clock
        self.allow_private = allow_private

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> urllib3.BaseHTTPResponse:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            address = pinned_address(host, port, allow_private=self.allow_private)
        except TargetRefused as exc:
            raise GiveUp(f"webhook target refused: {exc}") from exc
        except OSError as exc:  # the name does not resolve (now)
            raise Retry(f"webhook host did not resolve: {type(exc).__name__}") from exc
        if parts.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(address, port, timeout=self.timeout, retries=False, maxsize=1,
                                               server_hostname=host, assert_hostname=host)
        else:
            pool = urllib3.HTTPConnectionPool(address, port, timeout=self.timeout, retries=False, maxsize=1)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            return pool.urlopen("POST", target, body=body, redirect=False, retries=False,
                                headers={**headers, "Host": parts.netloc.rpartition("@")[2]})
        finally:
            pool.close()

    def send(self, outgoing: Outgoing, contact: Contact) -> None:
        if not contact.webhook_url or not contact.webhook_secret:
            raise GiveUp("no webhook URL or secret")
        body = json.dumps(outgoing.payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(self.clock())
        headers = {"Content-Type": "application/json", "webhook-id": outgoing.message_id,
                   "webhook-timestamp": str(timestamp),
                   "webhook-signature": sign(contact.webhook_secret, outgoing.message_id, timestamp, body),
                   "User-Agent": "amphoe-sang-suk-notify/1"}
        try:
            response = self._post(contact.webhook_url, body, headers)
        except urllib3.exceptions.HTTPError as exc:
            raise Retry(f"webhook unreachable: {type(exc).__name__}") from exc
        status = response.status
        if 200 <= status < 300:
            return
        if status == 429 or status >= 500 or status == 408:
            raise Retry(f"webhook answered {status}", retry_after_seconds(response.headers.get("Retry-After")))
        raise GiveUp(f"webhook answered {status}")

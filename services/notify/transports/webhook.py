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

import urllib3

from services.notify.directory import Contact
from services.notify.transports import GiveUp, Outgoing, Retry, retry_after_seconds


def secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()).decode()


class WebhookTransport:
    name = "webhook"

    def __init__(self, *, timeout_s: float = 10.0, clock=time.time):
        self.http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=5.0, read=timeout_s), retries=False)
        self.clock = clock

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
            response = self.http.request("POST", contact.webhook_url, body=body, headers=headers, redirect=False)
        except urllib3.exceptions.HTTPError as exc:
            raise Retry(f"webhook unreachable: {type(exc).__name__}") from exc
        status = response.status
        if 200 <= status < 300:
            return
        if status == 429 or status >= 500 or status == 408:
            raise Retry(f"webhook answered {status}", retry_after_seconds(response.headers.get("Retry-After")))
        raise GiveUp(f"webhook answered {status}")

"""A local stand-in for the LINE Messaging API, and webhook bodies shaped like LINE's real ones."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TEST_CHANNEL_SECRET = "test-line-channel-secret-0123456789ab"
TEST_ACCESS_TOKEN = "test-line-access-token"


class FakeLineApi:
    """Records every request the bot makes; answers like api.line.me's reply endpoint."""

    def __init__(self):
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake._lock:
                    fake.requests.append({"path": self.path, "auth": self.headers.get("Authorization"),
                                          "retry_key": self.headers.get("X-Line-Retry-Key"), "body": body})
                payload = json.dumps({"sentMessages": [{"id": str(i), "quoteToken": "q"}
                                                       for i, _ in enumerate(body.get("messages", []))]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeLineApi:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def replies(self) -> list[dict]:
        with self._lock:
            return [r["body"] for r in self.requests if r["path"] == "/v2/bot/message/reply"]

    def take(self) -> list[dict]:
        """The reply requests since the last take."""
        with self._lock:
            out = [r["body"] for r in self.requests if r["path"] == "/v2/bot/message/reply"]
            self.requests.clear()
        return out


def sign(body: bytes, secret: str = TEST_CHANNEL_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def user_id() -> str:
    return "U" + secrets.token_hex(16)


def _ulid() -> str:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(26))


def _base(kind: str, user: str, *, redelivery: bool = False, event_id: str | None = None) -> dict:
    return {"type": kind, "timestamp": int(time.time() * 1000), "mode": "active",
            "source": {"type": "user", "userId": user}, "replyToken": secrets.token_hex(16),
            "webhookEventId": event_id or _ulid(), "deliveryContext": {"isRedelivery": redelivery}}


def follow(user: str) -> dict:
    return {**_base("follow", user), "follow": {"isUnblocked": False}}


def text(user: str, message: str) -> dict:
    return {**_base("message", user), "message": {"type": "text", "id": str(secrets.randbelow(10**14)),
                                                  "quoteToken": secrets.token_urlsafe(20), "text": message}}


def sticker(user: str) -> dict:
    return {**_base("message", user), "message": {"type": "sticker", "id": "1", "quoteToken": "q",
                                                  "stickerId": "52002734", "packageId": "11537",
                                                  "stickerResourceType": "STATIC"}}


def postback(user: str, data: str) -> dict:
    return {**_base("postback", user), "postback": {"data": data}}


def redelivered(event: dict) -> dict:
    """LINE's redelivery: same webhookEventId, isRedelivery true (and a new reply token)."""
    return {**event, "replyToken": secrets.token_hex(16), "deliveryContext": {"isRedelivery": True}}


def payload(*events: dict) -> bytes:
    return json.dumps({"destination": "U" + "0" * 32, "events": list(events)}, ensure_ascii=False).encode()


def button_data(reply: dict, label_prefix: str) -> str:
    """The postback data of the quick reply button whose label starts with label_prefix."""
    for item in reply["messages"][-1]["quickReply"]["items"]:
        if item["action"]["label"].startswith(label_prefix):
            return item["action"]["data"]
    raise AssertionError(f"no button {label_prefix!r} in {reply}")

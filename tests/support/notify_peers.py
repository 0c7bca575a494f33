"""Real peers for notify's transports: a LINE push endpoint, a webhook receiver that verifies Standard
Webhooks signatures, and the aiosmtpd mail server (services.notify.devmail)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from services.notify import devmail
from tests.support.processes import free_port

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"integration-webhook-secret-32by").decode()


class _Peer:
    """A threaded HTTP server; `script` holds canned failures (status, headers) for the next requests."""

    path = "/"

    def __init__(self):
        self.requests: list[dict] = []
        self.script: list[tuple[int, dict]] = []
        self.lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self._reply(b"")

            def do_POST(self):
                self._reply(self.rfile.read(int(self.headers.get("Content-Length", 0))))

            def _reply(self, raw: bytes):
                status, headers, body = peer.answer(self.path, dict(self.headers), raw)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def scripted(self) -> tuple[int, dict] | None:
        with self.lock:
            return self.script.pop(0) if self.script else None

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class LinePushApi(_Peer):
    """Answers like api.line.me's push endpoint, including its retry-key rule: a retry key already
    accepted answers 409 and delivers nothing. `delivered` holds what a chief's phone would show."""

    def __init__(self):
        super().__init__()
        self.accepted_keys: set[str] = set()
        self.delivered: list[dict] = []

    def answer(self, path: str, headers: dict, raw: bytes) -> tuple[int, dict, bytes]:
        body = json.loads(raw or b"{}")
        key = headers.get("X-Line-Retry-Key")
        with self.lock:
            self.requests.append({"path": path, "auth": headers.get("Authorization"), "retry_key": key, "body": body})
        canned = self.scripted()
        if canned:
            return canned[0], canned[1], b'{"message":"scripted failure"}'
        with self.lock:
            if key and key in self.accepted_keys:
                return 409, {"x-line-accepted-request-id": "x"}, b'{"message":"The retry key is already accepted"}'
            if key:
                self.accepted_keys.add(key)
            self.delivered.append({"retry_key": key, "body": body})
        return 200, {}, json.dumps({"sentMessages": [{"id": "1", "quoteToken": "q"}]}).encode()


class WebhookReceiver(_Peer):
    """Verifies each delivery per Standard Webhooks; keeps `verified` ones, deduplicated by webhook-id."""

    def __init__(self, secret: str = WEBHOOK_SECRET):
        super().__init__()
        self.key = base64.b64decode(secret.removeprefix("whsec_"))
        self.verified: dict[str, dict] = {}

    def answer(self, path: str, headers: dict, raw: bytes) -> tuple[int, dict, bytes]:
        msg_id, ts = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
        expected = base64.b64encode(hmac.new(self.key, f"{msg_id}.{ts}.".encode() + raw, hashlib.sha256).digest())
        signatures = [s.split(",", 1)[1] for s in headers.get("webhook-signature", "").split() if s.startswith("v1,")]
        ok = any(hmac.compare_digest(s.encode(), expected) for s in signatures)
        with self.lock:
            self.requests.append({"id": msg_id, "timestamp": ts, "ok": ok, "body": json.loads(raw or b"{}")})
        canned = self.scripted()
        if canned:
            return canned[0], canned[1], b"{}"
        if not ok:
            return 401, {}, b'{"error":"bad signature"}'
        with self.lock:
            self.verified.setdefault(msg_id, json.loads(raw))
        return 204, {}, b""


class MailServer:
    """The aiosmtpd server `make run` uses, on a free port, keeping mail in a temporary folder."""

    def __enter__(self):
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="notify-mail-"))
        self.controller, self.keeper = devmail.start(self.folder, self.port)
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class RankingPeer(_Peer):
    """Answers `GET /v1/districts/<code>/rank` with the next of `answers` (status, body bytes), as ranking
    would or as something else in its place might."""

    def __init__(self, answers: list[tuple[int, bytes]]):
        super().__init__()
        self.answers = list(answers)

    def answer(self, path: str, headers: dict, raw: bytes) -> tuple[int, dict, bytes]:
        with self.lock:
            self.requests.append({"path": path})
            status, body = self.answers.pop(0) if self.answers else (404, b"{}")
        return status, {}, body

"""The LINE stand-in over HTTP: the Messaging API's endpoints for the platform, and a chat page for a developer.

`python -m services.channels.linedev --port 8086 --webhook http://127.0.0.1:8080/v1/channels/line/webhook
 --secret-file var/secrets/line-channel-secret --token-file var/secrets/line-access-token`
(`make run` starts it so, and points ingest and notify's LINE_API_HOST at it). Loopback only.

Page routes: GET / (the chat), GET /chat/<userId>?since=N (entries as JSON), POST /chat/<userId>/say
{"text"}, /tap {"data", "shown"}, /follow. They take JSON bodies only, so another site's form cannot drive them.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from services.channels.linedev import protocol
from services.channels.linedev.standin import Answer, LineStandIn
from shared import fonts

HERE = Path(__file__).resolve().parent
STATIC = {"/": ("chat.html", "text/html; charset=utf-8"), "/static/chat.js": ("chat.js", "text/javascript"),
          "/static/chat.css": ("chat.css", "text/css")}
FONTS = {f"/fonts/{path.name}": path for path in (fonts.REGULAR, fonts.BOLD)}  # the platform's font (shared.fonts)
BODY_MAX = 64 * 1024
SAY_MAX = 5000  # LINE's own limit on a text message


def handler_for(standin: LineStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "line-standin"

        def do_GET(self):
            url = urlsplit(self.path)
            if url.path == "/healthz":
                return self._json(Answer(200, {"status": "ok"}))
            if url.path in STATIC:
                name, kind = STATIC[url.path]
                return self._send(200, kind, (HERE / "static" / name).read_bytes())
            if url.path in FONTS:
                return self._send(200, "font/ttf", FONTS[url.path].read_bytes(), cache=True)
            user = self._user(url.path, suffix="")
            if user is None:
                return self._json(Answer(404, {"message": "Not found"}))
            since = parse_qs(url.query).get("since", ["0"])[0]
            if not since.isdigit() or len(since) > 12:
                return self._json(Answer(400, {"message": "since must be a number"}))
            return self._json(Answer(200, {"entries": standin.chat(user, int(since))}))

        def do_POST(self):
            url = urlsplit(self.path)
            raw = self._body()
            if raw is None:
                return None
            if url.path.startswith("/v2/"):
                return self._json(standin.api(url.path, self.headers.get("Authorization"),
                                              self.headers.get("X-Line-Retry-Key"), raw))
            for action in ("say", "tap", "follow"):
                user = self._user(url.path, suffix=f"/{action}")
                if user is not None:
                    return self._citizen(user, action, raw)
            return self._json(Answer(404, {"message": "Not found"}))

        def _citizen(self, user: str, action: str, raw: bytes):
            if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
                return self._json(Answer(415, {"message": "send JSON (Content-Type: application/json)"}))
            try:
                body = json.loads(raw or b"{}")
            except (ValueError, RecursionError):
                body = None
            if not isinstance(body, dict):
                return self._json(Answer(400, {"message": "the body must be a JSON object"}))
            if action == "follow":
                return self._json(Answer(200, standin.follow(user)))
            if action == "say":
                said = body.get("text")
                if not isinstance(said, str) or not 1 <= len(said) <= SAY_MAX:
                    return self._json(Answer(400, {"message": f"text: 1 to {SAY_MAX} characters"}))
                return self._json(Answer(200, standin.say(user, said)))
            data, shown = body.get("data"), body.get("shown")
            if not isinstance(data, str) or not 1 <= len(data) <= protocol.DATA_MAX:
                return self._json(Answer(400, {"message": f"data: 1 to {protocol.DATA_MAX} characters"}))
            if shown is not None and (not isinstance(shown, str) or len(shown) > protocol.DISPLAY_TEXT_MAX):
                return self._json(Answer(400, {"message": f"shown: at most {protocol.DISPLAY_TEXT_MAX} characters"}))
            return self._json(Answer(200, standin.tap(user, data, shown)))

        def _user(self, path: str, suffix: str) -> str | None:
            if not (path.startswith("/chat/") and path.endswith(suffix)):
                return None
            user = path[len("/chat/"): len(path) - len(suffix)]
            return user if protocol.USER_ID.match(user) else None

        def _body(self) -> bytes | None:
            length = self.headers.get("Content-Length", "0")
            if not length.isdigit():
                self._json(Answer(411 if not length else 400, {"message": "Content-Length is required"}))
                return None
            if int(length) > BODY_MAX:
                self._json(Answer(413, {"message": f"the body is over {BODY_MAX} bytes"}))
                self.close_connection = True
                return None
            return self.rfile.read(int(length))

        def _json(self, answer: Answer):
            self._send(answer.status, "application/json", json.dumps(answer.body, ensure_ascii=False).encode())

        def _send(self, status: int, kind: str, payload: bytes, *, cache: bool = False):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
            self.send_header("Cache-Control", "max-age=86400" if cache else "no-store")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    return Handler


class StandInServer:
    """The stand-in on a port (0: any free one), served from a thread."""

    def __init__(self, standin: LineStandIn, port: int = 0, host: str = "127.0.0.1"):
        self.standin = standin
        self.server = ThreadingHTTPServer((host, port), handler_for(standin))
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StandInServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="local LINE stand-in: Messaging API + a chat page")
    parser.add_argument("--port", type=int, default=8086)
    parser.add_argument("--webhook", required=True, help="ingest's webhook URL")
    parser.add_argument("--secret-file", type=Path, required=True, help="the channel secret (signs webhooks)")
    parser.add_argument("--token-file", type=Path, required=True, help="the access token the bot must present")
    args = parser.parse_args(argv)
    standin = LineStandIn(access_token=args.token_file.read_text().strip(),
                          channel_secret=args.secret_file.read_text().strip(), webhook_url=args.webhook,
                          keep_requests=False)
    with StandInServer(standin, args.port) as served:
        print(f"LINE stand-in on {served.url} (chat page: {served.url}/), webhooks to {args.webhook}", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
    return 0

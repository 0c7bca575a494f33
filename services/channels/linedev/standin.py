"""What the LINE stand-in knows: the chats of the citizens a developer plays, the reply tokens it handed out,
and every Messaging API request the platform made. No HTTP here (server.py serves it).

A citizen's text or tap becomes a webhook event, signed with the channel secret and POSTed to ingest's
webhook as LINE would; ingest answers through the reply endpoint with the token of that event (used once,
as on LINE), and notify's pushes name the user. Each chat is a list of entries the page shows in order.
Everything is bounded (chats, entries, tokens), so a long session or a stray client cannot grow it.
"""

from __future__ import annotations

import itertools
import json
import threading
import urllib.error
import urllib.request
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from services.channels.linedev import protocol

REPLY, PUSH = "/v2/bot/message/reply", "/v2/bot/message/push"
CHATS_MAX, ENTRIES_MAX, TOKENS_MAX = 200, 300, 2000
NO_CHAT = "(no chat)"  # replies whose token the stand-in did not hand out (tests that send their own events)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict


@dataclass
class LineStandIn:
    access_token: str | None = None  # None: any bearer token is taken (tests that only record)
    channel_secret: str | None = None  # signs the webhooks this stand-in sends
    webhook_url: str | None = None  # ingest's /v1/channels/line/webhook
    strict_tokens: bool = True  # a reply token it never handed out gets LINE's 400 "Invalid reply token"
    keep_requests: bool = True  # tests read them; the long-running program does not keep them
    requests: list[dict] = field(default_factory=list)
    _chats: OrderedDict = field(default_factory=OrderedDict)
    _tokens: OrderedDict = field(default_factory=OrderedDict)
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------------ the Messaging API (what the bot calls)

    def api(self, path: str, authorization: str | None, retry_key: str | None, raw: bytes) -> Answer:
        try:
            body = json.loads(raw or b"{}")
        except (ValueError, RecursionError):
            body = None
        if self.keep_requests:
            with self._lock:
                self.requests.append({"path": path, "auth": authorization, "retry_key": retry_key, "body": body})
        if path not in (REPLY, PUSH):
            return Answer(404, {"message": "Not found"})
        if self.access_token is not None and authorization != f"Bearer {self.access_token}":
            return Answer(401, {"message": "Authentication failed. Confirm that the access token in the "
                                           "authorization header is valid."})
        found = protocol.problems(body)
        if found:
            return Answer(400, {"message": f"The request body has {len(found)} error(s)", "details": found})
        if path == REPLY:
            with self._lock:
                user = self._tokens.pop(str(body.get("replyToken")), None)
            if user is None and self.strict_tokens:
                return Answer(400, {"message": "Invalid reply token"})
        else:
            user = str(body.get("to") or "")
            if not protocol.USER_ID.match(user):
                return Answer(400, {"message": "The property, 'to', in the request body is invalid"})
        for message in body["messages"]:
            self._add(user or NO_CHAT, "bot", _text_of(message), protocol.buttons(message),
                      pushed=path == PUSH)
        sent = [{"id": str(i), "quoteToken": "q"} for i, _ in enumerate(body["messages"])]
        return Answer(200, {"sentMessages": sent})

    # ------------------------------------------------------------------ the citizen's side (what the page does)

    def say(self, user: str, message: str) -> dict:
        self._add(user, "citizen", message)
        return self._deliver(user, protocol.text(user, message))

    def tap(self, user: str, data: str, shown: str | None) -> dict:
        """A postback button: LINE shows its displayText as the citizen's message, and sends the data."""
        if shown:
            self._add(user, "citizen", shown)
        return self._deliver(user, protocol.postback(user, data))

    def follow(self, user: str) -> dict:
        self._add(user, "system", "เพิ่มเพื่อน (follow) / added the account as a friend")
        return self._deliver(user, protocol.follow(user))

    def chat(self, user: str, since: int = 0) -> list[dict]:
        with self._lock:
            return [e for e in self._chats.get(user, ()) if e["seq"] > since]

    # ------------------------------------------------------------------ inside

    def _deliver(self, user: str, event: dict) -> dict:
        if not (self.webhook_url and self.channel_secret):
            self._add(user, "system", "no webhook configured: nothing was sent")
            return {"status": None}
        with self._lock:
            self._tokens[event["replyToken"]] = user
            while len(self._tokens) > TOKENS_MAX:
                self._tokens.popitem(last=False)
        body = protocol.payload(event)
        request = urllib.request.Request(self.webhook_url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": "LineBotWebhook/2.0",
            "X-Line-Signature": protocol.sign(body, self.channel_secret)})
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
            self._add(user, "system", f"webhook answered {status}: {exc.read(500).decode('utf-8', 'replace')}")
        except (urllib.error.URLError, OSError) as exc:
            status = None
            self._add(user, "system", f"webhook unreachable ({self.webhook_url}): {getattr(exc, 'reason', exc)}")
        with self._lock:
            self._tokens.pop(event["replyToken"], None)  # a token is good for the webhook's answer only
        return {"status": status}

    def _add(self, user: str, who: str, text: str, buttons: list[dict] | None = None, *, pushed: bool = False) -> None:
        with self._lock:
            chat = self._chats.get(user)
            if chat is None:
                chat = self._chats[user] = deque(maxlen=ENTRIES_MAX)
                while len(self._chats) > CHATS_MAX:
                    self._chats.popitem(last=False)
            chat.append({"seq": next(self._seq), "who": who, "text": text, "buttons": buttons or [],
                         "pushed": pushed})

    def replies(self) -> list[dict]:
        with self._lock:
            return [r["body"] for r in self.requests if r["path"] == REPLY]

    def take(self) -> list[dict]:
        """The reply requests since the last take (tests)."""
        with self._lock:
            out = [r["body"] for r in self.requests if r["path"] == REPLY]
            self.requests.clear()
        return out


def _text_of(message: dict) -> str:
    if message.get("type") == "text":
        return str(message.get("text") or "")
    if message.get("type") == "template":
        template = message.get("template") or {}
        return str(template.get("text") or message.get("altText") or "")
    return f"[{message.get('type')}] {message.get('altText') or ''}".strip()

"""LINE's side of the protocol, as the platform meets it: webhook bodies shaped like LINE's real ones, signed
with the channel secret (X-Line-Signature = base64 HMAC-SHA256 of the body), and the Messaging API's limits
on what a bot may send (https://developers.line.biz/en/reference/messaging-api/), which the stand-in enforces
as LINE does (a 400 naming the property), so a label the real LINE would refuse fails locally too."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time

USER_ID = re.compile(r"^U[0-9a-f]{32}$")
MAX_MESSAGES = 5  # per reply or push request
TEXT_MAX = 5000
QUICK_REPLY_ITEMS_MAX = 13
LABEL_MAX = 20  # a quick reply button's label; a template action's label too
DISPLAY_TEXT_MAX = 300
DATA_MAX = 300  # a postback's data


def sign(body: bytes, secret: str) -> str:
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


def _actions(message: dict) -> list[tuple[str, dict]]:
    """(property path, action) of every action a message carries: quick reply items and template actions."""
    out = []
    items = (message.get("quickReply") or {}).get("items") or []
    out += [(f"quickReply.items[{i}].action", item.get("action") or {}) for i, item in enumerate(items)]
    template = message.get("template") or {}
    out += [(f"template.actions[{i}]", a) for i, a in enumerate(template.get("actions") or [])]
    return out


def problems(body: object) -> list[dict]:
    """What LINE would refuse in a reply or push body, as its 400 lists them ({"message", "property"})."""
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return [{"message": "must be specified", "property": "messages"}]
    messages = body["messages"]
    found = []
    if not 1 <= len(messages) <= MAX_MESSAGES:
        found.append({"message": f"Size must be between 1 and {MAX_MESSAGES}", "property": "messages"})
    for m, message in enumerate(messages):
        where = f"messages[{m}]"
        if not isinstance(message, dict):
            found.append({"message": "must be an object", "property": where})
            continue
        if message.get("type") == "text" and not 1 <= len(str(message.get("text") or "")) <= TEXT_MAX:
            found.append({"message": f"Length must be between 1 and {TEXT_MAX}", "property": f"{where}.text"})
        items = (message.get("quickReply") or {}).get("items") or []
        if len(items) > QUICK_REPLY_ITEMS_MAX:
            found.append({"message": f"Size must be between 1 and {QUICK_REPLY_ITEMS_MAX}",
                          "property": f"{where}.quickReply.items"})
        for path, action in _actions(message):
            for key, limit in (("label", LABEL_MAX), ("displayText", DISPLAY_TEXT_MAX), ("data", DATA_MAX)):
                if len(str(action.get(key) or "")) > limit:
                    found.append({"message": f"Length must be between 0 and {limit}",
                                  "property": f"{where}.{path}.{key}"})
    return found


def buttons(message: dict) -> list[dict]:
    """A message's buttons for the page: label, and what a tap sends (postback data and/or a text)."""
    out = []
    for path, action in _actions(message):
        kind = action.get("type")
        out.append({"label": str(action.get("label") or ""), "type": kind,
                    "quick": path.startswith("quickReply"),
                    "data": action.get("data") if kind == "postback" else None,
                    "text": action.get("text") if kind == "message" else action.get("displayText"),
                    "uri": action.get("uri") if kind == "uri" else None})
    return out

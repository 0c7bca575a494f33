"""POST /v1/channels/line/webhook: LINE's signed webhook, checked with the SDK, events handed on."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Blueprint, current_app, jsonify, request

from shared.errors import ApiError
from shared.web import read_body

if TYPE_CHECKING:
    from services.ingest.line.handler import LineHandler

log = logging.getLogger(__name__)

bp = Blueprint("line", __name__)


def install(app, handler: LineHandler | None, channel_secret: str | None) -> None:
    """The webhook is always routed; without LINE credentials it answers 503 line_not_configured."""
    if handler is not None and channel_secret:
        from shared.line import webhook_parser

        app.extensions["line"] = {"handler": handler, "parser": webhook_parser(channel_secret)}
    app.register_blueprint(bp)


@bp.post("/v1/channels/line/webhook")
def webhook():
    line = current_app.extensions.get("line")
    if line is None:
        raise ApiError(503, "line_not_configured",
                       "the LINE channel is not configured: set LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN")
    from linebot.v3.exceptions import InvalidSignatureError

    handler: LineHandler = line["handler"]
    signature = request.headers.get("X-Line-Signature")
    if not signature:
        raise ApiError(400, "missing_signature", "the X-Line-Signature header is required")
    try:
        body = read_body().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "malformed_webhook", "the body is not valid UTF-8") from exc
    try:
        events = line["parser"].parse(body, signature)
    except InvalidSignatureError as exc:
        log.warning("line webhook with a bad signature")
        raise ApiError(401, "invalid_signature", "X-Line-Signature does not match the body") from exc
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:  # ValueError: JSON, big ints
        raise ApiError(400, "malformed_webhook", "the body is not a LINE webhook payload") from exc
    results = []
    for event in events:
        try:
            results.append(handler.handle(event))
        except Exception:  # one bad event must not make LINE redeliver the others
            log.exception("line event failed", extra={"event_type": getattr(event, "type", None)})
            results.append("error")
    log.info("line webhook", extra={"events": len(events), "results": results})
    return jsonify({"status": "ok"}), 200

"""Ingest's replies on LINE: the conversation's replies as LINE messages, sent through shared.line."""

from __future__ import annotations

import logging

from linebot.v3.messaging import PostbackAction, QuickReply, QuickReplyItem, TextMessage

from services.ingest.line.conversation import Reply
from shared.line import LineMessaging

log = logging.getLogger(__name__)


def to_message(reply: Reply) -> TextMessage:
    quick = None
    if reply.buttons:
        quick = QuickReply(items=[
            QuickReplyItem(action=PostbackAction(label=b.label, data=b.data, displayText=b.display_text))
            for b in reply.buttons
        ])
    return TextMessage(text=reply.text, quickReply=quick)


class LineReplier:
    """Answers a webhook event; a reply that fails is logged, never raised."""

    def __init__(self, messaging: LineMessaging):
        self.messaging = messaging

    def reply(self, reply_token: str | None, replies: list[Reply]) -> bool:
        if not reply_token or not replies:
            return False
        try:
            self.messaging.reply(reply_token, [to_message(r) for r in replies])
            return True
        except Exception as exc:  # a reply that fails must not undo the vote, nor make LINE redeliver
            log.warning("line reply failed", extra={"error": type(exc).__name__})
            return False

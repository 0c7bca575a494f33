"""Thin adapters over the official line-bot-sdk v3: the signed webhook parser and the reply sender."""

from __future__ import annotations

import logging

from linebot.v3 import WebhookParser
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    TextMessage,
)

from services.ingest.line.conversation import Reply

log = logging.getLogger(__name__)


def make_parser(channel_secret: str) -> WebhookParser:
    return WebhookParser(channel_secret)


def to_message(reply: Reply) -> TextMessage:
    quick = None
    if reply.buttons:
        quick = QuickReply(items=[
            QuickReplyItem(action=PostbackAction(label=b.label, data=b.data, displayText=b.display_text))
            for b in reply.buttons
        ])
    return TextMessage(text=reply.text, quickReply=quick)


class LineReplier:
    """Sends replies through MessagingApi; the host is configurable (tests point it at a local server)."""

    def __init__(self, access_token: str, host: str, *, timeout_s: float = 5.0):
        self.configuration = Configuration(host=host, access_token=access_token)
        self.timeout_s = timeout_s

    def reply(self, reply_token: str | None, replies: list[Reply]) -> bool:
        if not reply_token or not replies:
            return False
        request = ReplyMessageRequest(replyToken=reply_token, messages=[to_message(r) for r in replies])
        try:
            with ApiClient(self.configuration) as client:
                MessagingApi(client).reply_message(request, _request_timeout=self.timeout_s)
            return True
        except Exception as exc:  # a reply that fails must not undo the vote, nor make LINE redeliver
            log.warning("line reply failed", extra={"error": type(exc).__name__})
            return False

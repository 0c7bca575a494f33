"""The LINE Messaging API, set up once for every service that talks to LINE (ingest replies, notify pushes).

One place reads the channel's credentials and builds line-bot-sdk v3's client; services keep only
what their messages mean. The host is configurable (LINE_API_HOST, read by services.channels.config)
so tests point it at a local server (tests/support/line_api.py). The SDK takes about a second to
import, so it is imported only when a parser or a client is built (LINE configured).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.secrets import read_secret

if TYPE_CHECKING:
    from linebot.v3 import WebhookParser


@dataclass(frozen=True)
class LineCredentials:
    channel_secret: str  # verifies webhook signatures
    access_token: str  # authorises Messaging API calls

    @classmethod
    def from_env(cls) -> LineCredentials | None:
        """LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN (or their `_FILE`s); None unless both are set."""
        secret = read_secret("LINE_CHANNEL_SECRET", required=False)
        token = read_secret("LINE_CHANNEL_ACCESS_TOKEN", required=False)
        return cls(secret, token) if secret and token else None


def webhook_parser(channel_secret: str) -> WebhookParser:
    """Checks X-Line-Signature and parses a webhook body into events."""
    from linebot.v3 import WebhookParser

    return WebhookParser(channel_secret)


class LineMessaging:
    """Messaging API calls with the platform's settings. Failures raise (linebot's ApiException, or
    the HTTP client's errors): what a failure means is the caller's decision."""

    def __init__(self, access_token: str, host: str, *, timeout_s: float = 5.0):
        from linebot.v3.messaging import Configuration

        self.configuration = Configuration(host=host, access_token=access_token)
        self.timeout_s = timeout_s

    def reply(self, reply_token: str, messages: list) -> None:
        from linebot.v3.messaging import ApiClient, MessagingApi, ReplyMessageRequest

        with ApiClient(self.configuration) as client:
            MessagingApi(client).reply_message(ReplyMessageRequest(replyToken=reply_token, messages=messages),
                                               _request_timeout=self.timeout_s)

    def push(self, to: str, messages: list, *, retry_key: str | None = None) -> None:
        """`retry_key`: the same on every attempt of one message, so LINE delivers a retried push once."""
        from linebot.v3.messaging import ApiClient, MessagingApi, PushMessageRequest

        with ApiClient(self.configuration) as client:
            MessagingApi(client).push_message(PushMessageRequest(to=to, messages=messages),
                                              x_line_retry_key=retry_key, _request_timeout=self.timeout_s)

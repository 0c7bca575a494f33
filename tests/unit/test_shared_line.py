"""shared.line against a local LINE Messaging API: credentials, replies, pushes with a retry key."""

from __future__ import annotations

import uuid

from linebot.v3.messaging import TextMessage

from shared.line import LineCredentials, LineMessaging
from tests.support import line_api


def test_reply_and_push_reach_the_api_with_the_token_and_the_retry_key():
    with line_api.FakeLineApi() as fake:
        messaging = LineMessaging(line_api.TEST_ACCESS_TOKEN, fake.url)
        messaging.reply("reply-token-1", [TextMessage(text="ขอบคุณครับ")])
        key = str(uuid.uuid4())
        messaging.push("U" + "0" * 32, [TextMessage(text="คะแนนต่ำ")], retry_key=key)
    reply, push = fake.requests
    assert reply["path"] == "/v2/bot/message/reply" and reply["body"]["replyToken"] == "reply-token-1"
    assert push["path"] == "/v2/bot/message/push" and push["body"]["to"] == "U" + "0" * 32
    assert push["body"]["messages"][0]["text"] == "คะแนนต่ำ" and push["retry_key"] == key
    assert {reply["auth"], push["auth"]} == {f"Bearer {line_api.TEST_ACCESS_TOKEN}"}


def test_credentials_need_both_the_secret_and_the_token(monkeypatch):
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN_FILE", raising=False)
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "s")
    assert LineCredentials.from_env() is None
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "t")
    assert LineCredentials.from_env() == LineCredentials("s", "t")

"""The LINE stand-in (services/channels/linedev) as the tests use it, and webhook bodies signed with the tests'
channel secret."""

from __future__ import annotations

from services.channels.linedev import protocol
from services.channels.linedev.protocol import follow, payload, postback, redelivered, sticker, text, user_id
from services.channels.linedev.server import StandInServer
from services.channels.linedev.standin import LineStandIn

TEST_CHANNEL_SECRET = "test-line-channel-secret-0123456789ab"
TEST_ACCESS_TOKEN = "test-line-access-token"

__all__ = [
    "TEST_ACCESS_TOKEN",
    "TEST_CHANNEL_SECRET",
    "FakeLineApi",
    "button_data",
    "follow",
    "payload",
    "postback",
    "redelivered",
    "sign",
    "sticker",
    "text",
    "user_id",
]


class FakeLineApi(StandInServer):
    """The stand-in recording every request the bot makes; it takes any reply token (the tests' events carry
    tokens it did not hand out) and any bearer token (the tests check what was sent)."""

    def __init__(self, **settings):
        super().__init__(LineStandIn(strict_tokens=False, **settings))

    def __enter__(self) -> FakeLineApi:
        super().__enter__()
        return self

    @property
    def requests(self) -> list[dict]:
        return self.standin.requests

    def replies(self) -> list[dict]:
        return self.standin.replies()

    def take(self) -> list[dict]:
        return self.standin.take()


def sign(body: bytes, secret: str = TEST_CHANNEL_SECRET) -> str:
    return protocol.sign(body, secret)


def button_data(reply: dict, label_prefix: str) -> str:
    """The postback data of the quick reply button whose label starts with label_prefix."""
    for item in reply["messages"][-1]["quickReply"]["items"]:
        if item["action"]["label"].startswith(label_prefix):
            return item["action"]["data"]
    raise AssertionError(f"no button {label_prefix!r} in {reply}")

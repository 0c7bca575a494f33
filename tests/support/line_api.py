"""The LINE stand-in (services/channels/linedev) as the tests use it, and webhook bodies signed with the tests'
channel secret."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.channels.linedev import protocol
from services.channels.linedev.protocol import follow, payload, postback, redelivered, sticker, text, user_id
from services.channels.linedev.server import StandInServer
from services.channels.linedev.standin import LineStandIn
from shared.config import Settings
from tests.integration.ingest_env import ingest_env
from tests.support.processes import ServiceProcess

TEST_CHANNEL_SECRET = "test-line-channel-secret-0123456789ab"
TEST_ACCESS_TOKEN = "test-line-access-token"

__all__ = [
    "TEST_ACCESS_TOKEN",
    "TEST_CHANNEL_SECRET",
    "FakeLineApi",
    "button_data",
    "follow",
    "line_ingest_env",
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


def line_ingest_env(settings: Settings, line_api_url: str, **extra: str) -> dict[str, str]:
    """Ingest's environment with the LINE channel on, pointed at a LINE API at `line_api_url` (the stand-in)."""
    return ingest_env(settings, TOPIC_COMMENTS=settings.topics.comments, LINE_CHANNEL_SECRET=TEST_CHANNEL_SECRET,
                      LINE_CHANNEL_ACCESS_TOKEN=TEST_ACCESS_TOKEN, LINE_API_HOST=line_api_url, **extra)


# Fixtures (registered for every test by tests/conftest.py's pytest_plugins): the recording LINE API, and
# ingest under gunicorn talking to it.
@pytest.fixture
def line_api() -> Iterator[FakeLineApi]:
    with FakeLineApi() as fake:
        yield fake


@pytest.fixture
def line_ingest(settings: Settings, line_api: FakeLineApi) -> Iterator[ServiceProcess]:
    with ServiceProcess("services.ingest.wsgi:app", line_ingest_env(settings, line_api.url), workers=2,
                        threads=4) as svc:
        yield svc

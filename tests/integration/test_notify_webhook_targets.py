"""Webhooks go to public addresses only, checked again at send time after resolution, and no redirect is followed.

Real HTTP receivers on 127.0.0.1: without the development allowance nothing reaches them, whether the URL names
the address or a host name that resolves to it (this machine's own name); with it they get the delivery.
"""

from __future__ import annotations

import socket

import pytest

from services.notify.directory import Contact
from services.notify.transports import GiveUp, Outgoing
from services.notify.transports.webhook import WebhookTransport
from tests.support.notify_peers import WEBHOOK_SECRET, WebhookReceiver

OUTGOING = Outgoing("msg-1", "s", "t", "<p>t</p>", [], {"alert": "3706-low_mean-1"})


def _contact(url: str) -> Contact:
    return Contact("chief", "3706", "ก", "t", None, None, url, WEBHOOK_SECRET, ("webhook",), True)


def _local_name() -> str:
    """A host name (no address, no 'localhost') that resolves to loopback or a private address here."""
    name = socket.gethostname()
    address = socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)[0][4][0]
    if not address.startswith(("127.", "10.", "192.168.", "172.")):
        pytest.skip(f"this machine's name resolves to {address}")
    return name


@pytest.fixture
def receiver():
    with WebhookReceiver() as r:
        yield r


def test_an_address_url_to_loopback_is_refused_at_send_time(receiver):
    with pytest.raises(GiveUp, match="refused"):
        WebhookTransport().send(OUTGOING, _contact(receiver.url + "/h"))
    assert receiver.requests == []


def test_a_name_that_resolves_to_loopback_is_refused_after_resolution(receiver):
    port = receiver.url.rsplit(":", 1)[1]
    with pytest.raises(GiveUp, match="resolves to"):
        WebhookTransport().send(OUTGOING, _contact(f"http://{_local_name()}:{port}/h"))
    assert receiver.requests == []


def test_the_development_allowance_delivers_to_a_local_receiver(receiver):
    port = receiver.url.rsplit(":", 1)[1]
    WebhookTransport(allow_private=True).send(OUTGOING, _contact(f"http://{_local_name()}:{port}/h"))
    assert list(receiver.verified) == ["msg-1"]


def test_a_redirect_is_not_followed(receiver):
    with WebhookReceiver() as elsewhere:
        receiver.script.append((307, {"Location": elsewhere.url + "/stolen"}))
        with pytest.raises(GiveUp, match="307"):
            WebhookTransport(allow_private=True).send(OUTGOING, _contact(receiver.url + "/h"))
        assert len(receiver.requests) == 1 and elsewhere.requests == []

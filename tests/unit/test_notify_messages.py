"""Messages: Thai first with Buddhist-Era dates in Bangkok time, English second; signed links; e-mail form."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default

import pytest

from services.notify.directory import Contact
from services.notify.lifecycle import Alert
from services.notify.links import AlertLinks, LinkError
from services.notify.messages import Item, render
from services.notify.transports import Outgoing, retry_after_seconds
from services.notify.transports.line import retry_key
from services.notify.transports.mail import build_email
from services.notify.transports.webhook import sign
from shared.districts import load_registry
from shared.thaidate import be_date, be_datetime

NOW = datetime(2026, 11, 21, 17, 30, tzinfo=UTC)  # 00:30 on 22 Nov in Bangkok
DISTRICT = load_registry().get("3706")
ALERT = Alert("3706-low_mean-1", "3706", "low_mean", 1, NOW, True, 1, NOW,
              {"votes": 12, "mean": 2.42, "below": 3.0, "min_votes": 10, "days": 7})


def test_buddhist_era_dates_in_bangkok_time():
    assert be_datetime(NOW) == "22 พ.ย. 2569 เวลา 00:30 น."
    assert be_date(datetime(2025, 1, 1).date()) == "1 ม.ค. 2568"


def test_message_is_thai_first_then_english():
    message = render([Item(ALERT, "firing:1", "https://n.example/a/tok")], DISTRICT, NOW)
    assert message.text.index("คะแนนเฉลี่ยต่ำ") < message.text.index("Low mean score")
    assert "อำเภอหัวตะพาน จังหวัดอำนาจเจริญ" in message.text
    assert "คะแนนเฉลี่ย 7 วัน 2.42 จาก 12 เสียง" in message.text
    assert "22 พ.ย. 2569 เวลา 00:30 น." in message.text
    assert message.subject.startswith("[อำเภอสร้างสุข] แจ้งเตือน")
    assert message.buttons == [{"label": "เปิดเรื่องที่ 1", "url": "https://n.example/a/tok"}]
    assert message.payload["items"][0]["alert_id"] == "3706-low_mean-1"
    assert '<html lang="th">' in message.html


def test_links_are_signed_and_expire():
    links = AlertLinks("secret-1", "https://notify.example", max_age_s=60)
    token = links.token("3706-low_mean-1", "chief:3706")
    assert links.read(token).alert_id == "3706-low_mean-1"
    with pytest.raises(LinkError) as err:
        AlertLinks("other-secret", "https://notify.example").read(token)
    assert err.value.code == "bad_link"
    expired = AlertLinks("secret-1", "https://notify.example", max_age_s=-1)
    with pytest.raises(LinkError) as err:
        expired.read(token)
    assert err.value.code == "link_expired"


def test_webhook_signature_follows_standard_webhooks():
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    body = b'{"a":1}'
    expected = base64.b64encode(hmac.new(b"k" * 32, b"msg_1.1700000000." + body, hashlib.sha256).digest()).decode()
    assert sign(secret, "msg_1", 1700000000, body) == f"v1,{expected}"


def test_line_retry_key_is_a_stable_uuid_per_message():
    assert retry_key("m1") == retry_key("m1") != retry_key("m2")
    assert len(retry_key("m1")) == 36


def test_retry_after_as_seconds_or_http_date():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_email_has_an_encoded_thai_subject_plain_text_and_html():
    message = render([Item(ALERT, "firing:1", "https://n.example/a/tok")], DISTRICT, NOW)
    outgoing = Outgoing("abc123", message.subject, message.text, message.html, message.buttons, message.payload)
    contact = Contact("chief", "3706", "สมชาย ใจดี", "นายอำเภอ", None, "somchai@dopa.go.th", None, None,
                      ("email",), True)
    raw = bytes(build_email(outgoing, contact, "alerts@example.org"))
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n")[0]  # RFC 2047 encoded-word in the headers
    parsed = message_from_bytes(raw, policy=default)
    assert parsed["Subject"] == message.subject
    assert parsed["Message-ID"] == "<abc123@notify.amphoesangsook>"
    assert "คะแนนเฉลี่ยต่ำ" in parsed.get_body(("plain",)).get_content()
    assert "https://n.example/a/tok" in parsed.get_body(("html",)).get_content()

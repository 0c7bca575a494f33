"""The QR page's story step (issue 21): after the vote, a story with consent; its withdrawal code; withdrawal."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from services.ingest.stories import codes
from shared.events import StoryEvent, decode
from tests.unit.ingest_app import make_harness

STORY = "เจ้าหน้าที่ช่วยเหลือเกินความคาดหมาย โทร 081-234-5678 ได้เลย"


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def h():
    return make_harness()


def _vote(h, code="3706") -> tuple[str, str]:
    """Vote on the page; returns the thank-you page's html and its vote ticket."""
    token = _token(h.client.get(f"/d/{code}").get_data(as_text=True))
    response = h.client.post(f"/d/{code}", data={"csrf_token": token, "score": "5"})
    assert response.status_code == 303
    target = response.headers["Location"]
    ticket = parse_qs(urlsplit(target).query)["s"][0]
    page = h.client.get(target)
    assert page.status_code == 200
    return page.get_data(as_text=True), ticket


def _tell(h, ticket, html, code="3706", **fields):
    data = {"csrf_token": _token(html), "s": ticket, "story": STORY, "publish": "yes", "credit": "initials",
            "name": "สมศรี ใจดี", **fields}
    return h.client.post(f"/d/{code}/story", data=data)


def test_the_thank_you_page_asks_for_a_story_and_consent_in_thai_first(h):
    html, _ = _vote(h)
    assert '<html lang="th">' in html
    assert "เล่าเรื่องความประทับใจ" in html and "อนุญาตให้เผยแพร่" in html and "อักษรย่อ" in html
    assert 'name="publish" value="yes"' in html and 'name="credit" value="anonymous"' in html


def test_a_story_is_published_redacted_with_its_consent_and_the_votes_hashed_voter(h):
    html, ticket = _vote(h)
    response = _tell(h, ticket, html)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", page).group(0)
    [story] = h.stories.events
    [vote] = h.publisher.events
    assert isinstance(story, StoryEvent) and story.kind == "told" and story.vote_id == vote.vote_id
    assert story.voter_key == vote.voter_key and story.voter_key is not None
    assert "081" not in story.text and "[redacted-phone]" in story.text
    assert story.publish and story.credit == "initials" and story.credit_name == "ส.จ."
    assert story.consent_version and story.channel == "qr" and story.district_code == "3706"
    assert "สมศรี" not in story.to_bytes().decode() and code not in story.to_bytes().decode()
    assert story.key == story.story_id.encode() and decode(StoryEvent, story.to_bytes()) == story


def test_one_story_per_vote(h):
    html, ticket = _vote(h)
    assert _tell(h, ticket, html).status_code == 200
    assert _tell(h, ticket, html).status_code == 409
    assert len(h.stories.events) == 1


@pytest.mark.parametrize("fields, status, words", [
    ({"publish": ""}, 422, "กรุณาเลือกว่าจะอนุญาตให้เผยแพร่หรือไม่"),
    ({"story": "   "}, 422, "กรุณาเล่าเรื่องก่อนกดส่ง"),
    ({"story": "ดี" * 1501}, 422, "เรื่องเล่ายาวเกิน 3,000 ตัวอักษร"),
    ({"credit": "first_name", "name": ""}, 422, "กรุณากรอกชื่อ"),
    ({"credit": "full_name"}, 422, "กรุณากรอกชื่อ"),
    ({"story": "ok\x00"}, 422, "กรุณาเล่าเรื่องก่อนกดส่ง"),
    ({"s": "forged"}, 400, "ภายใน 2 ชั่วโมง"),
    ({"csrf_token": "x"}, 400, "กรุณากดส่งอีกครั้ง"),
])
def test_a_bad_story_form_gets_a_precise_4xx_and_nothing_is_published(h, fields, status, words):
    html, ticket = _vote(h)
    response = _tell(h, ticket, html, **fields)
    assert response.status_code == status
    assert words in response.get_data(as_text=True)
    assert h.stories.events == []


def test_a_ticket_is_for_its_own_district_and_a_forged_one_shows_no_story_form(h):
    html, ticket = _vote(h)
    assert _tell(h, ticket, html, code="3701").status_code == 400
    assert "story-form" not in h.client.get("/d/3701/thanks?s=" + ticket).get_data(as_text=True)
    assert "story-form" not in h.client.get("/d/3706/thanks?s=" + ticket[:-2] + "xx").get_data(as_text=True)
    assert "story-form" not in h.client.get("/d/3706/thanks?s=" + "x" * 100_000).get_data(as_text=True)


def test_a_story_without_consent_keeps_no_credit(h):
    html, ticket = _vote(h)
    assert _tell(h, ticket, html, publish="no", credit="first_name", name="สมศรี").status_code == 200
    [story] = h.stories.events
    assert story.publish is False and story.credit == "anonymous" and story.credit_name is None


def test_the_code_withdraws_the_story_and_a_wrong_code_does_not(h):
    html, ticket = _vote(h)
    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", _tell(h, ticket, html).get_data(as_text=True)).group(0)
    form = h.client.get("/d/withdraw").get_data(as_text=True)
    assert "ถอนเรื่องเล่า" in form
    wrong = h.client.post("/d/withdraw", data={"csrf_token": _token(form), "code": "ZZZZ-ZZZZ"})
    assert wrong.status_code == 404 and "ไม่พบรหัสนี้" in wrong.get_data(as_text=True)
    right = h.client.post("/d/withdraw", data={"csrf_token": _token(form), "code": code.lower().replace("-", " ")})
    assert right.status_code == 200 and "ถอนเรื่องเล่าแล้ว" in right.get_data(as_text=True)
    told, gone = h.stories.events
    assert gone.kind == "withdrawn" and gone.story_id == told.story_id and gone.district_code == "3706"


def test_guessing_codes_is_rate_limited_before_any_code_is_read(h):
    html, ticket = _vote(h)
    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", _tell(h, ticket, html).get_data(as_text=True)).group(0)
    form = _token(h.client.get("/d/withdraw").get_data(as_text=True))
    for _ in range(5):
        assert h.client.post("/d/withdraw", data={"csrf_token": form, "code": "0000-0000"}).status_code == 404
    limited = h.client.post("/d/withdraw", data={"csrf_token": form, "code": code})
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert len(h.stories.events) == 1  # the right code, past the limit, withdrew nothing


@pytest.mark.parametrize("typed", ["", "x" * 10_000, "ABCD-EFG", "ABCD-EFGU", "\u0e51" * 8])
def test_junk_codes_are_404_never_500(h, typed):
    form = _token(h.client.get("/d/withdraw").get_data(as_text=True))
    assert h.client.post("/d/withdraw", data={"csrf_token": form, "code": typed}).status_code == 404


def test_codes_are_40_bits_and_read_through_common_mistypes():
    code = codes.new_code()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code)
    assert len(codes.ALPHABET) ** codes.CODE_LENGTH == 2 ** 40
    assert codes.normalise("abcd-efgh") == "ABCDEFGH" and codes.normalise("O1IL 2345") == "01112345"
    assert codes.story_id(b"s", "ABCDEFGH") != codes.story_id(b"t", "ABCDEFGH")


def test_the_story_text_and_name_are_never_logged(h, caplog):
    caplog.set_level(logging.DEBUG)
    html, ticket = _vote(h)
    _tell(h, ticket, html, credit="first_name", name="สมศรีนามสกุลยาว")
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "story told" in logged
    assert "เกินความคาดหมาย" not in logged and "สมศรีนามสกุลยาว" not in logged

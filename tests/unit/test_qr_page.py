"""The QR vote page over the Flask test client, with ingest's in-memory stand-ins."""

from __future__ import annotations

import re

import pytest
import zxingcpp
from PIL import Image

from tests.unit.ingest_app import PUBLIC_BASE_URL, make_harness


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def h():
    return make_harness(limit_per_minute=3)


def _open(h, code="3706"):
    page = h.client.get(f"/d/{code}")
    assert page.status_code == 200
    return _token(page.get_data(as_text=True))


def test_page_is_thai_first_with_district_province_and_five_faces(h):
    response = h.client.get("/d/3706")
    html = response.get_data(as_text=True)
    assert '<html lang="th">' in html
    assert "อำเภอหัวตะพาน" in html and "จังหวัดอำนาจเจริญ" in html and "อำเภอสร้างสุข" in html
    assert all(f'id="score-{s}"' in html for s in range(1, 6))
    assert "ไม่พอใจมาก" in html and "พอใจมาก" in html and "ทะเบียนบ้าน" in html
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("ssk_device=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    english = h.client.get("/d/3706?lang=en").get_data(as_text=True)
    assert "Hua Taphan District" in english and "Very dissatisfied" in english


@pytest.mark.parametrize("code", ["1001", "1050", "9999", "37060", "abcd"])
def test_unknown_codes_and_bangkok_get_a_thai_404(h, code):
    response = h.client.get(f"/d/{code}")
    assert response.status_code == 404
    assert "ไม่พบอำเภอนี้" in response.get_data(as_text=True)


def test_errors_come_back_in_thai_next_to_the_field_keeping_input(h):
    token = _open(h)
    long = "ดี" * 501
    response = h.client.post("/d/3706", data={"csrf_token": token, "score": "", "staff": "งาน\nทะเบียน",
                                              "comment": long, "service": "bogus"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "กรุณาเลือกคะแนนความสุข 1 ถึง 5" in html
    assert "ความคิดเห็นยาว 1,002 ตัวอักษร เกินกว่า 1,000 ตัวอักษร" in html
    assert "กรุณาเลือกบริการจากรายการ" in html
    assert long in html and 'id="comment-error"' in html
    assert h.publisher.events == []


def test_vote_publishes_once_as_qr_with_the_device_as_voter(h):
    token = _open(h)
    form = {"csrf_token": token, "score": "5", "comment": "ประทับใจ โทร 081-234-5678", "service": "id_card"}
    first = h.client.post("/d/3706", data=form)
    assert first.status_code == 303 and first.headers["Location"].startswith("/d/3706/thanks?s=")
    again = h.client.post("/d/3706", data=form)  # a double tap: same form nonce, same vote
    assert again.status_code == 303
    [event] = h.publisher.events
    assert (event.channel, event.score, event.service) == ("qr", 5, "id_card")
    assert event.comment == "ประทับใจ โทร [redacted-phone]" and len(event.voter_key) == 64
    second = h.client.post("/d/3706", data={"csrf_token": _open(h), "score": "1"})
    assert second.status_code == 409 and "วันนี้คุณให้คะแนนอำเภอนี้แล้ว" in second.get_data(as_text=True)
    assert len(h.publisher.events) == 1


def test_forged_or_missing_csrf_and_cookie_publish_nothing(h):
    token = _open(h)
    assert h.client.post("/d/3706", data={"csrf_token": "forged", "score": "4"}).status_code == 400
    h.client.delete_cookie("ssk_device", path="/d/")
    response = h.client.post("/d/3706", data={"csrf_token": token, "score": "4"})
    assert response.status_code == 400 and "คุกกี้" in response.get_data(as_text=True)
    assert h.publisher.events == []


def test_per_ip_throttling_answers_with_a_page(h):
    statuses = []
    for _ in range(5):
        h.client.delete_cookie("ssk_device", path="/d/")  # a new device each time, one address
        statuses.append(h.client.post("/d/3706", data={"csrf_token": _open(h), "score": "4"}).status_code)
    assert statuses == [303, 303, 303, 429, 429]
    h.client.delete_cookie("ssk_device", path="/d/")
    limited = h.client.post("/d/3706", data={"csrf_token": _open(h), "score": "4"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1


def test_dropping_the_device_cookie_cannot_stuff_the_official_count():
    h = make_harness(limit_per_minute=10**6)
    statuses = []
    for _ in range(26):  # a fresh identity on every GET, one address, a few seconds
        h.client.delete_cookie("ssk_device", path="/d/")
        statuses.append(h.client.post("/d/3706", data={"csrf_token": _open(h), "score": "5"}).status_code)
    assert statuses == [303] * 26  # nothing lost: every vote is published
    reasons = h.flag_reasons()  # scoring's decision from what the events carry (shared/flags.py)
    assert reasons == [None] * 10 + ["address_burst"] * 16


def test_qr_codes_carry_the_page_url(h, tmp_path, monkeypatch):
    svg = h.client.get("/d/4712/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    png = h.client.get("/d/4712/qr.png")
    assert png.mimetype == "image/png"
    (tmp_path / "qr.png").write_bytes(png.data)
    [decoded] = zxingcpp.read_barcodes(Image.open(tmp_path / "qr.png"))
    assert decoded.text == f"{PUBLIC_BASE_URL}/d/4712"
    assert h.client.get("/d/1001/qr.png").status_code == 404


@pytest.mark.parametrize("host", ["phish.example", "abcdefghij." * 700 + "example", "amphoesangsook.example.evil.test"])
def test_qr_codes_never_follow_the_host_header(h, tmp_path, host):
    png = h.client.get("/d/4712/qr.png", headers={"Host": host})
    assert png.status_code == 200
    (tmp_path / "qr.png").write_bytes(png.data)
    [decoded] = zxingcpp.read_barcodes(Image.open(tmp_path / "qr.png"))
    assert decoded.text == f"{PUBLIC_BASE_URL}/d/4712"
    svg = h.client.get("/d/4712/qr.svg", headers={"Host": host})
    assert svg.status_code == 200 and host.encode() not in svg.data


@pytest.mark.parametrize(("scale", "pixels"), [("40", 16), ("9" * 5000, 8), ("-3", 8), ("1", 2), ("abc", 8)])
def test_qr_scale_is_capped_and_bad_scales_are_harmless(h, scale, pixels):
    png = h.client.get(f"/d/4712/qr.png?scale={scale}")
    assert png.status_code == 200
    width = Image.open(__import__("io").BytesIO(png.data)).size[0]
    reference = Image.open(__import__("io").BytesIO(h.client.get("/d/4712/qr.png?scale=1").data)).size[0]
    assert width == reference * pixels // 2


def test_ingest_refuses_to_start_without_public_base_url(monkeypatch):
    from services.channels.config import ChannelsConfig
    from services.ingest.bootstrap import bootstrap

    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(SystemExit, match="PUBLIC_BASE_URL"):
        bootstrap(channels=ChannelsConfig(public_base_url=""), keys=None, voter_secret=b"s")


def test_a_chunked_form_over_the_limit_is_refused_not_cut(h):
    import io
    from urllib.parse import urlencode

    def post_chunked(body: bytes):
        return h.client.post("/d/3706", input_stream=io.BytesIO(body), content_type="application/x-www-form-urlencoded",
                             headers={"Transfer-Encoding": "chunked"},
                             environ_overrides={"wsgi.input_terminated": True})

    token = _open(h)
    big = urlencode({"csrf_token": token, "score": "4", "comment": "ก" * 30000}).encode()  # ~270 kB encoded
    assert post_chunked(big).status_code == 413
    assert h.publisher.events == []
    assert post_chunked(urlencode({"csrf_token": token, "score": "4"}).encode()).status_code == 303
    assert len(h.publisher.events) == 1

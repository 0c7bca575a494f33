"""A phone-sized headless Chromium votes on the QR page, with and without JavaScript; Kafka has the vote."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.integration.ingest_env import ingest_env
from tests.support.browser import ARTIFACTS, PHONE, chromium
from tests.support.kafka_read import read_topic
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
COMMENT = "เจ้าหน้าที่งานทะเบียนบริการดีมาก ยิ้มแย้มแจ่มใส รวดเร็วทันใจ ขอบคุณค่ะ"


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def ingest(settings):
    with ServiceProcess("services.ingest.wsgi:app", ingest_env(settings), workers=1, threads=8) as svc:
        yield svc


def _only_local(page, base: str) -> list[str]:
    """Every URL the page asks for; the test asserts none leaves the platform."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    return seen


def _tap_face(page, score: int, word: str) -> None:
    """Tap the face as a finger would (the radio itself is visually hidden), then check it took."""
    face = page.locator(f"label[for=score-{score}]")
    assert word in face.inner_text()
    face.click()
    assert page.get_by_label(f"{score} {word}").is_checked()


def test_vote_with_javascript(browser, ingest, settings):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="th-TH")
    page = context.new_page()
    requests_seen = _only_local(page, ingest.url)
    page.goto(ingest.url + "/d/3706")
    assert page.locator("h1.district").inner_text().startswith("อำเภอหัวตะพาน")
    assert "จังหวัดอำนาจเจริญ" in page.locator("h1.district").inner_text()
    assert page.locator(".programme").inner_text() == "อำเภอสร้างสุข"
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px SangSuk', 'สุข')")
    _tap_face(page, 5, "พอใจมาก")
    page.get_by_label("บริการที่มาใช้").select_option("house_registration")
    page.get_by_label("เจ้าหน้าที่หรือหน่วยงานที่อยากชม").fill("งานทะเบียน")
    page.get_by_label("คำติชม ข้อเสนอแนะ หรือเรื่องเล่าความประทับใจ").fill(COMMENT)
    assert page.locator("#comment-count").inner_text() == f"{len(COMMENT)} / 1,000 ตัวอักษร"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "qr-page.png"
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("UPDATE_SCREENSHOTS"):
        shutil.copy(shot, ROOT / "docs" / "img" / "qr-page.png")
    page.get_by_role("button", name="ส่งคะแนน").click()
    page.wait_for_url("**/d/3706/thanks?s=*")
    assert page.locator("h1").inner_text() == "ขอบคุณที่ร่วมให้คะแนน"
    assert all(url.startswith(ingest.url + "/") for url in requests_seen), requests_seen
    [(key, event)] = read_topic(settings.kafka_bootstrap, settings.topics.votes)
    assert key == b"3706"
    assert (event["channel"], event["score"], event["comment"]) == ("qr", 5, COMMENT)
    assert (event["service"], event["staff"]) == ("house_registration", "งานทะเบียน")
    assert len(event["voter_key"]) == 64
    # The same phone again today: a friendly word, and nothing more in Kafka.
    page.goto(ingest.url + "/d/3706")
    _tap_face(page, 3, "เฉย ๆ")
    page.get_by_role("button", name="ส่งคะแนน").click()
    assert page.locator("h1").inner_text() == "วันนี้คุณให้คะแนนอำเภอนี้แล้ว"
    assert len(read_topic(settings.kafka_bootstrap, settings.topics.votes)) == 1
    context.close()


def test_vote_without_javascript_keeps_input_on_error(browser, ingest, settings):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="th-TH")
    page = context.new_page()
    requests_seen = _only_local(page, ingest.url)
    page.goto(ingest.url + "/d/4408")
    assert "อำเภอพยัคฆภูมิพิสัย" in page.locator("h1.district").inner_text()
    page.get_by_label("คำติชม ข้อเสนอแนะ หรือเรื่องเล่าความประทับใจ").fill(COMMENT)
    page.get_by_role("button", name="ส่งคะแนน").click()  # no score: the server answers in Thai
    assert page.locator("#score-error").inner_text() == "กรุณาเลือกคะแนนความสุข 1 ถึง 5"
    assert page.locator("#comment").input_value() == COMMENT
    _tap_face(page, 4, "พอใจ")
    page.get_by_role("button", name="ส่งคะแนน").click()
    assert page.locator("h1").inner_text() == "ขอบคุณที่ร่วมให้คะแนน"
    assert all(url.startswith(ingest.url + "/") for url in requests_seen), requests_seen
    [(key, event)] = read_topic(settings.kafka_bootstrap, settings.topics.votes)
    assert (key, event["channel"], event["score"], event["comment"]) == (b"4408", "qr", 4, COMMENT)
    context.close()


def test_english_switch_and_thai_404(browser, ingest):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(ingest.url + "/d/4712")
    page.get_by_role("link", name="English").click()
    assert page.locator("h1.district").inner_text().startswith("Sawang Daen Din District")
    assert page.get_by_label("5 Very satisfied").is_visible()
    response = page.goto(ingest.url + "/d/1001")  # a Bangkok khet: not in the programme
    assert response.status == 404
    assert page.locator("h1").inner_text() == "ไม่พบอำเภอนี้"
    context.close()


def test_svg_poster_renders_in_chromium_and_its_qr_decodes(browser, tmp_path):
    import zxingcpp
    from PIL import Image

    from shared.cli import main

    assert main(["posters", "--out", str(tmp_path), "--base-url", "https://vote.example.test", "--codes", "4712"]) == 0
    context = browser.new_context(viewport={"width": 794, "height": 1123})  # A4 at 96 dpi
    page = context.new_page()
    page.goto((tmp_path / "svg" / "4712.svg").as_uri())
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(tmp_path / "poster.png"))
    context.close()
    decoded = [b.text for b in zxingcpp.read_barcodes(Image.open(tmp_path / "poster.png"))]
    assert decoded == ["https://vote.example.test/d/4712"]
    shutil.copy(tmp_path / "poster.png", ARTIFACTS / "poster-4712.png")


@pytest.mark.parametrize("width", [320, 360, 390])
def test_every_page_fits_a_phone_in_both_languages_with_all_five_faces(browser, ingest, width):
    """No sideways scroll at the narrowest phones, Thai and English; on the vote page every face is whole
    on the screen (English's longer words used to push the fifth past the edge at 360 and 390 px)."""
    context = browser.new_context(viewport={"width": width, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    for lang in ("", "?lang=en"):
        for path in ("/d/3706", "/d/3706/thanks", "/d/1001"):
            page.goto(ingest.url + path + lang)
            page.evaluate("document.fonts.ready")
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (path + lang, width)
        page.goto(ingest.url + "/d/4712" + lang)
        page.evaluate("document.fonts.ready")
        for score in range(1, 6):
            box = page.locator(f"label[for=score-{score}]").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (lang, width, score, box)
    context.close()

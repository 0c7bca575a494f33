"""The public website in headless Chromium (Debian's, driven by Playwright) at phone and desktop sizes,
with and without JavaScript, against a real ranking web process over a seeded store: content matches the
JSON API, Thai is drawn with the served font, nothing is fetched from elsewhere, search, paging and the
window switch work by mouse and by keyboard alone, and axe-core finds no serious or critical violation."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import requests

from shared.districts import load_registry
from shared.timeutil import bangkok_day, utcnow
from tests.support.axe import ensure_axe
from tests.support.browser import ARTIFACTS, PHONE, chromium
from tests.support.site import PUBLIC_BASE_URL, running_site
from tests.support.site_data import daily_votes

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
DESKTOP = {"width": 1280, "height": 900}
SIZES = {"phone": PHONE, "desktop": DESKTOP}


@pytest.fixture(scope="module")
def site(infra):
    with running_site(infra, days=61) as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def context(browser, size: str = "phone", *, js: bool = True, **extra):
    return browser.new_context(viewport=SIZES[size], java_script_enabled=js, locale="th-TH",
                               **({"is_mobile": True, "has_touch": True} if size == "phone" else {}), **extra)


def watch(page, base: str) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    return seen


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("UPDATE_SCREENSHOTS"):
        shutil.copy(path, ROOT / "docs" / "img" / name)


def codes(page, table: str) -> list[str]:
    return page.locator(f"{table} tbody tr").evaluate_all("rows => rows.map(r => r.dataset.code)")


def test_home_matches_the_api_in_thai_with_the_served_font(browser, site):
    ctx = context(browser)
    page = ctx.new_page()
    seen = watch(page, site.url)
    page.goto(site.url + "/")
    assert page.locator("h1").inner_text() == "อันดับความสุข 878 อำเภอ"
    assert page.locator("html").get_attribute("lang") == "th"
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px SangSuk', 'สุข')")
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily").startswith("SangSuk")
    for group in ("small", "medium", "large"):
        api = site.api(f"/v1/leaderboards/{group}?per_page=10")["entries"]
        assert codes(page, f"#top-{group}") == [e["district_code"] for e in api]
        first = page.locator(f"#top-{group} tbody tr").first
        assert first.locator(".rank-n").inner_text() == str(api[0]["rank"])
        assert first.locator(".score").inner_text() == f"{api[0]['score']:.2f}"
        assert first.locator(".district a").inner_text() == api[0]["name_th"]
        assert first.locator(".prov-inline").inner_text() == api[0]["province_th"]  # on a phone, under the name
    votes = sum(w["campaign"]["votes"] for w in site.figures.values())
    assert page.locator("#national-votes").inner_text() == f"{votes:,}"
    assert page.locator("#national-districts").inner_text() == f"{len(site.figures):,} / 878"
    assert re.fullmatch(r"ข้อมูล ณ \d{1,2} \S+ 25\d\d เวลา \d\d:\d\d น\.", page.locator("#as-of").inner_text())
    assert page.locator("#stale-note").count() == 0
    shot(page, "site-home-phone.png")
    assert any(u.endswith("/ranking/static/fonts/NotoSansThaiLatin-Regular.ttf") for u in seen)
    assert all(u.startswith(site.url + "/") for u in seen), seen
    ctx.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_window_switch_paging_filter_search_and_english(browser, site, js):
    ctx = context(browser, js=js)
    page = ctx.new_page()
    seen = watch(page, site.url)
    page.goto(site.url + "/")
    page.get_by_role("link", name="7 วันล่าสุด").click()
    page.wait_for_url("**/?window=7d")
    api = site.api("/v1/leaderboards/small?window=7d&per_page=10")["entries"]
    assert codes(page, "#top-small") == [e["district_code"] for e in api]
    assert page.locator(".tabs a[aria-current=page]").inner_text() == "7 วันล่าสุด"

    page.goto(site.url + "/ranking/board/small")
    page.get_by_role("link", name="ถัดไป").click()
    page.wait_for_url("**/ranking/board/small?page=2")
    api = site.api("/v1/leaderboards/small?page=2")["entries"]
    assert codes(page, "#board") == [e["district_code"] for e in api]
    assert page.locator("#board tbody tr").first.locator(".rank-n").inner_text() == str(api[0]["rank"] or "–")

    page.get_by_label("จังหวัด", exact=True).select_option("37")
    if not js:
        assert page.get_by_role("button", name="แสดง").is_visible()
        page.get_by_role("button", name="แสดง").click()
    else:
        assert not page.get_by_role("button", name="แสดง").is_visible()  # the select applies itself
    page.wait_for_url("**/ranking/board/small?province=37")
    api = site.api("/v1/leaderboards/small?province=37")["entries"]
    assert codes(page, "#board") == [e["district_code"] for e in api]

    page.goto(site.url + "/")
    page.get_by_label("ค้นหาอำเภอหรือจังหวัด").fill("เฉลิมพระเกียรติ")
    page.get_by_role("button", name="ค้นหา").click()
    assert page.locator("#search-message").inner_text() == "มีหลายอำเภอชื่อนี้ กรุณาเลือกจังหวัด"
    provinces = page.locator("#district-results li").all_inner_texts()
    assert len(provinces) == 5 and all(t.startswith("เฉลิมพระเกียรติ · ") for t in provinces)
    assert {t.split(" · ")[1].split(" ")[0] for t in provinces} == {"สระบุรี", "นครราชสีมา", "บุรีรัมย์", "น่าน",
                                                                  "นครศรีธรรมราช"}
    page.get_by_label("ค้นหาอำเภอหรือจังหวัด").fill("อ. หัว ตะพาน")
    page.get_by_role("button", name="ค้นหา").click()
    page.wait_for_url("**/ranking/district/3706")
    assert page.locator("h1").inner_text().startswith("อำเภอหัวตะพาน")
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/ranking/district/3706?lang=en")
    assert page.locator("h1").inner_text().startswith("Hua Taphan District")
    page.get_by_role("link", name="Home").click()
    assert page.locator("h1").inner_text() == "Happiness ranking of 878 districts"
    # As written on paper: district with its province, and the code printed on every poster.
    for typed, code, name in (("หัวตะพาน จ.อำนาจเจริญ", "3706", "อำเภอหัวตะพาน"), ("4712", "4712", "อำเภอสว่างแดนดิน")):
        page.goto(site.url + "/")
        page.get_by_label("ค้นหาอำเภอหรือจังหวัด").fill(typed)
        page.get_by_role("button", name="ค้นหา").click()
        page.wait_for_url(f"**/ranking/district/{code}")
        assert page.locator("h1").inner_text().startswith(name)
    assert all(u.startswith(site.url + "/") for u in seen), seen
    ctx.close()


def test_district_page_matches_the_api_with_trend_badge_and_qr(browser, site):
    import zxingcpp
    from PIL import Image

    api = site.api("/v1/districts/3706/rank")
    ctx = context(browser, "desktop")
    page = ctx.new_page()
    seen = watch(page, site.url)
    page.goto(site.url + "/ranking/district/3706")
    for window in ("campaign", "30d", "7d"):
        w = api["windows"][window]
        box = page.locator(f".window[data-window='{window}']")
        if w["rank"] is not None:
            assert box.locator(".rank-text").inner_text().startswith(f"อันดับ {w['rank']} จาก 533 อำเภอขนาดเล็ก")
        assert box.locator(".votes").inner_text() == f"{w['votes']:,}"
        assert box.locator(".score").inner_text() == ("–" if w["score"] is None else f"{w['score']:.2f}")
    hist = site.figures["3706"]["campaign"]["histogram"]
    cells = page.locator("#histogram .hnum").all_inner_texts()
    assert cells == [f"{hist[str(s)]:,}" for s in range(1, 6)]
    assert page.locator("svg.trend").count() == 1
    assert page.locator("svg.trend title").text_content().startswith("ค่าเฉลี่ยรายวันและจำนวนโหวตรายวัน")
    daily = page.locator("#trend-table tbody td:nth-child(2)").all_text_contents()
    assert len(daily) == 60 and all(v.replace(",", "").isdigit() for v in daily)  # 61 days seeded: all known
    assert page.locator("svg.trend rect.bar").count() == sum(v != "0" for v in daily)  # one bar a day with votes
    # Exactly the votes the seeded campaign gave each day (the table lists the newest day first).
    seeded = daily_votes(load_registry(), bangkok_day(utcnow()), 61, seed=11)["3706"]
    assert daily == [f"{sum(h):,}" for _, h in sorted(seeded.items(), reverse=True)[:60]]
    badge = page.locator("#badge-img")
    badge.scroll_into_view_if_needed()
    page.wait_for_function("document.getElementById('badge-img').complete")
    assert badge.evaluate("img => img.naturalWidth") > 100
    assert page.locator(".vote-link").inner_text() == f"{PUBLIC_BASE_URL}/d/3706"
    qr = page.locator(".qr svg")
    qr.screenshot(path=str(ARTIFACTS / "site-qr.png"))
    decoded = [b.text for b in zxingcpp.read_barcodes(Image.open(ARTIFACTS / "site-qr.png"))]
    assert decoded == [f"{PUBLIC_BASE_URL}/d/3706"]
    assert all(u.startswith(site.url + "/") for u in seen), seen
    ctx.close()
    phone = context(browser)
    page = phone.new_page()
    page.goto(site.url + "/ranking/district/3706")
    shot(page, "site-district-phone.png")
    phone.close()
    desk = context(browser, "desktop")
    page = desk.new_page()
    page.goto(site.url + "/ranking/board/small")
    shot(page, "site-board-desktop.png")
    page.emulate_media(media="print")
    assert not page.locator(".paging").is_visible() and page.locator("#board .mean").first.is_visible()
    desk.close()


def test_badge_renders_its_rank_with_the_embedded_font(browser, site):
    board = site.api("/v1/leaderboards/small?per_page=1000")["entries"]
    for entry in (board[2], next(e for e in board if e["rank"] is None)):  # a ranked district, one still waiting
        code = entry["district_code"]
        svg = requests.get(site.url + f"/badge/{code}.svg", timeout=30)
        assert svg.status_code == 200 and svg.headers["Content-Type"].startswith("image/svg+xml")
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg.text)
        if entry["rank"] is not None:
            assert texts[1] == f"อันดับ {entry['rank']} จาก 533 อำเภอขนาดเล็ก"
        else:
            assert texts[1] == f"ยังไม่ได้จัดอันดับ (ต้องการอีก {entry['votes_needed']} โหวต)"
        assert texts[2].startswith(f"อำเภอ{entry['name_th']} จ.{entry['province_th']} · คะแนน ")
        assert texts[2].endswith("–" if entry["score"] is None else f"{entry['score']:.2f}")
    ctx = context(browser, "desktop")
    page = ctx.new_page()
    seen = watch(page, site.url)
    page.set_content(f'<img id="b" src="{site.url}/badge/{board[2]["district_code"]}.svg">')
    page.wait_for_function("document.getElementById('b').complete && document.getElementById('b').naturalWidth > 0")
    page.locator("#b").screenshot(path=str(ARTIFACTS / "site-badge.png"))
    page.goto(site.url + f"/badge/{board[2]['district_code']}.svg")
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('bold 15px SangSukBadge', 'อันดับ')")
    assert seen and all(u.startswith(f"{site.url}/badge/") for u in seen), seen  # nothing else, not even a font
    ctx.close()


PAGES = ["/", "/?window=30d&lang=en", "/ranking/board/medium?page=2", "/ranking/district/4408",
         "/ranking/province/37", "/ranking/search?q=เมือง", "/ranking/awards", "/ranking/how", "/ranking/data",
         "/ranking/district/1001"]


def test_phone_pages_fit_the_screen_and_desktop_shows_every_column(browser, site):
    for width in (320, PHONE["width"]):  # the narrowest phones still sold, and a common one; Thai and English
        ctx = browser.new_context(viewport={"width": width, "height": 740}, is_mobile=True, has_touch=True)
        page = ctx.new_page()
        for path in PAGES + [p + ("&" if "?" in p else "?") + "lang=en" for p in PAGES if "lang=" not in p]:
            page.goto(site.url + path)
            page.evaluate("document.fonts.ready")
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, width)  # no sideways scroll
        ctx.close()
    ctx = context(browser)
    page = ctx.new_page()
    page.goto(site.url + "/ranking/board/small")
    row = page.locator("#board tbody tr").first
    assert row.locator(".prov-inline").is_visible() and not row.locator(".col-prov").is_visible()
    ctx.close()
    ctx = context(browser, "desktop")
    page = ctx.new_page()
    page.goto(site.url + "/ranking/board/small")
    row = page.locator("#board tbody tr").first
    assert all(row.locator(c).is_visible() for c in (".col-prov", ".col-move", ".col-elig", ".mean"))
    assert not row.locator(".prov-inline").is_visible()
    ctx.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_axe_finds_no_serious_or_critical_violation(browser, site, size):
    script = ensure_axe()
    ctx = context(browser, size, bypass_csp=True)  # axe is injected by the test, not served by the site
    page = ctx.new_page()
    found = {}
    for path in PAGES:
        page.goto(site.url + path)
        page.add_script_tag(path=str(script))
        violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
            .violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target)}))""")
        bad = [v for v in violations if v["impact"] in ("serious", "critical")]
        if bad:
            found[path] = bad
    assert found == {}
    ctx.close()


def tab_to(page, selector: str, limit: int = 250) -> None:
    """Press Tab until the element matching `selector` has the focus (keyboard only, no clicks)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("sel => document.activeElement && document.activeElement.matches(sel)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_keyboard_only_search_window_switch_and_paging(browser, site, js):
    ctx = context(browser, "desktop", js=js)
    page = ctx.new_page()
    page.goto(site.url + "/")
    tab_to(page, "input[name=q]")
    page.keyboard.type("จ.น่าน")
    page.keyboard.press("Enter")
    page.wait_for_url("**/ranking/province/55")
    assert page.locator("h1").inner_text() == "จังหวัดน่าน"
    page.goto(site.url + "/")
    tab_to(page, "a[data-window='30d']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?window=30d")
    page.goto(site.url + "/ranking/board/large")
    tab_to(page, "a[rel=next]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/ranking/board/large?page=2")
    tab_to(page, "a[rel=prev]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/ranking/board/large")
    ctx.close()


def test_the_badge_embed_code_draws_its_thai_with_the_platform_font(browser, site):
    """The embed code's alt text is Thai: drawn by the served font, not as empty boxes by a monospace font that
    has no Thai (this machine has no Thai system font: `fc-list :lang=th` is empty on the CI image)."""
    ctx = context(browser)
    page = ctx.new_page()
    page.goto(site.url + "/ranking/district/3706")
    page.evaluate("document.fonts.ready")
    assert "ป้ายอันดับ" in page.locator("#badge-code").input_value()
    cdp = ctx.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]["nodeId"]
    textarea = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#badge-code"})["nodeId"]
    shadow = cdp.send("DOM.describeNode", {"nodeId": textarea, "depth": -1, "pierce": True})["node"]["shadowRoots"][0]
    [inner] = cdp.send("DOM.pushNodesByBackendIdsToFrontend",
                       {"backendNodeIds": [shadow["children"][0]["backendNodeId"]]})["nodeIds"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": inner})["fonts"]
    thai = [f for f in fonts if f["isCustomFont"] and "Thai" in f["familyName"]]
    assert thai and thai[0]["glyphCount"] > 10, fonts  # the Thai glyphs come from the platform's font
    ctx.close()

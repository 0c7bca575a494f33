"""The centre's view of what citizens said, in Chromium at desktop and phone sizes: signed in with the
central-office key, the comments are listed with their topics in Thai, a Thai search narrows them, the
report links download, nothing is fetched from elsewhere, and axe-core finds no serious violation."""

from __future__ import annotations

import pytest

from shared.timeutil import utcnow
from tests.integration.notify_env import CENTRAL_KEY, built, notify_env
from tests.support.axe import ensure_axe
from tests.support.ballots import ballot_records, vote
from tests.support.browser import ARTIFACTS, PHONE, chromium
from tests.support.fakes import Clock
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.integration
DESKTOP = {"width": 1280, "height": 900}
AXE = """async () => (await axe.run(document, {resultTypes: ['violations']}))
    .violations.filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)"""


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_centre_searches_comments_at_desktop_and_phone_sizes_without_violations(settings, size):
    now = utcnow()
    notify = built(settings, Clock(now), line_url="http://127.0.0.1:9", smtp_port=9)
    notify.processor().handle(ballot_records([
        vote("3706", 2, now, comment="รอนานมาก ห้องน้ำสกปรก"), vote("3706", 5, now, comment="เจ้าหน้าที่ใจดีมาก"),
        vote("4408", 1, now, comment="ระบบล่ม ต้องมาใหม่"), vote("4408", 4, now)]))
    env = notify_env(settings, line_url="http://127.0.0.1:9", smtp_port=9)
    with ServiceProcess("services.notify.wsgi:app", env, workers=1, threads=4) as web, chromium() as browser:
        context = browser.new_context(viewport=DESKTOP if size == "desktop" else PHONE, locale="th-TH",
                                      bypass_csp=True)  # JavaScript for axe only: the page itself has none
        page = context.new_page()
        seen: list[str] = []
        page.on("request", lambda r: seen.append(r.url))
        page.goto(web.url + "/centre/comments")
        page.get_by_label("รหัสสำนักงานกลาง").fill(CENTRAL_KEY)
        page.get_by_role("button", name="เข้าสู่ระบบ · Sign in").click()
        page.goto(web.url + "/centre/comments")
        assert page.locator("h1").inner_text().startswith("ความคิดเห็นของประชาชน")
        assert page.locator("#comments .comment").count() == 3
        assert "การรอคอย: ติ" in page.locator("#comments").inner_text()
        page.get_by_label("คำค้น (ภาษาไทยหรืออังกฤษ)").fill("รอนาน")
        page.get_by_role("button", name="ค้นหา · Search").click()
        assert page.locator("#comments .comment").count() == 1
        assert "รอนานมาก ห้องน้ำสกปรก" in page.locator("#comments").inner_text()
        assert page.locator("#topics").count() == 1
        assert "ถูกติมากที่สุด: การรอคอย" in page.locator(".breakdown").first.inner_text()  # by size group
        with page.expect_download() as download:
            page.get_by_role("link", name="ดาวน์โหลด Excel (XLSX)").click()
        assert download.value.suggested_filename.endswith(".xlsx")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= (DESKTOP if size == "desktop" else PHONE)["width"]  # no sideways scrolling on a phone
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"centre-comments-{size}.png"), full_page=True)
        page.add_script_tag(path=str(ensure_axe()))
        assert page.evaluate(AXE) == []
        assert all(url.startswith(web.url) for url in seen if not url.startswith(("data:", "blob:"))), seen
        context.close()

"""Stories of service end to end (issue 21) in Debian's Chromium against real processes: ingest (gunicorn),
notify's web process and consumer, ranking's web process and consumer, over the real broker and store.

A citizen tells a story with consent on the QR page at phone size (with JavaScript; another without, and
without consent); the centre signs in, edits the story and approves it; it appears on the district page
with the chosen credit; the citizen withdraws it with the code and it leaves every public route and the
open data within a minute. The no-consent story and the original words appear on no public route."""

from __future__ import annotations

import re
import sys
import tempfile
import time

import pytest
import requests

from tests.integration.ingest_env import ingest_env
from tests.integration.notify_env import CENTRAL_KEY, notify_env
from tests.support.axe import ensure_axe
from tests.support.browser import chromium
from tests.support.processes import ManagedProcess, ServiceProcess
from tests.support.ranking import RankingConsumer, ranking_env

pytestmark = pytest.mark.integration

ORIGINAL = "คุณสมชายที่ช่องสามช่วยกรอกเอกสารให้จนเสร็จ ประทับใจเกินคาดมาก"
EDITED = "เจ้าหน้าที่ช่องบริการช่วยกรอกเอกสารให้จนเสร็จ ประทับใจเกินคาดมาก"
PRIVATE = "เรื่องนี้ขอเล่าให้อำเภอรู้เท่านั้น ไม่อยากให้เผยแพร่"
PUBLIC_ROUTES = ("/ranking/district/3706", "/ranking/district/3706?lang=en", "/ranking/stories",
                 "/ranking/stories?lang=en", "/ranking/data/stories.json", "/ranking/data/stories.csv", "/")


def wait_for(condition, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout_s}s: {what}")


@pytest.fixture
def stack(settings):
    group = settings.mongo_db
    notify = notify_env(settings, line_url="http://127.0.0.1:9", smtp_port=9,
                        NOTIFY_STATE_DIR=tempfile.mkdtemp(prefix="notify-state-"), NOTIFY_GROUP_ID=f"notify-{group}",
                        NOTIFY_POLL_TIMEOUT_MS="200", VOTES_PARTITIONS=str(settings.votes_partitions))
    ranking = ranking_env(settings, PUBLIC_BASE_URL="http://vote.example.test")
    with ServiceProcess("services.ingest.wsgi:app", ingest_env(settings), workers=1, threads=4) as ingest, \
            ServiceProcess("services.notify.wsgi:app", notify, workers=1, threads=4) as centre, \
            ServiceProcess("services.ranking.wsgi:app", ranking, workers=1, threads=4) as site, \
            ManagedProcess([sys.executable, "-m", "services.notify.consumer"], notify,
                           log_prefix="notify-consumer-"), \
            RankingConsumer(ranking):
        yield ingest, centre, site


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical WCAG findings on the page as shown (injected: the context bypasses CSP)."""
    page.add_script_tag(path=str(ensure_axe()))
    return page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
        .violations.filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)""")


def _vote_and_tell(page, ingest_url: str, *, publish: str, credit: str, name: str, text: str,
                   audit: bool = False) -> str:
    """Vote 5 on 3706's QR page, tell the story on the thank-you page; returns the withdrawal code shown."""
    page.goto(ingest_url + "/d/3706")
    page.locator("label[for=score-5]").click()
    page.get_by_role("button", name="ส่งคะแนน").click()
    page.wait_for_url("**/d/3706/thanks?s=*")
    assert page.locator("h1").inner_text() == "ขอบคุณที่ร่วมให้คะแนน"
    if audit:
        assert serious_violations(page) == [], "the thank-you page's story form"
    page.get_by_label("เรื่องเล่าของคุณ").fill(text)
    page.locator(f"#publish-{publish}").check()
    page.locator(f"#credit-{credit}").check()
    page.get_by_label("ชื่อของคุณ", exact=False).fill(name)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # fits the phone
    page.get_by_role("button", name="ส่งเรื่องเล่า").click()
    page.locator("h1", has_text="ขอบคุณสำหรับเรื่องเล่า").wait_for()
    if audit:
        assert serious_violations(page) == [], "the page with the withdrawal code"
    return re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", page.locator("main").inner_text()).group(0)


def _public(site_url: str) -> dict[str, str]:
    return {path: requests.get(site_url + path, timeout=30).text for path in PUBLIC_ROUTES}


def test_told_moderated_published_and_withdrawn_everywhere(stack):
    ingest, centre, site = stack
    with chromium() as browser:
        phone = browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True, has_touch=True,
                                    bypass_csp=True)  # axe is injected by the test, not served by the pages
        code = _vote_and_tell(phone.new_page(), ingest.url, publish="yes", credit="initials", name="สมศรี ใจดี",
                              text=ORIGINAL, audit=True)
        no_js = browser.new_context(viewport={"width": 360, "height": 780}, java_script_enabled=False)
        _vote_and_tell(no_js.new_page(), ingest.url, publish="no", credit="anonymous", name="", text=PRIVATE)

        desk = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True).new_page()
        desk.goto(centre.url + "/centre")
        desk.get_by_label("รหัสสำนักงานกลาง", exact=False).fill(CENTRAL_KEY)
        desk.locator("form button[type=submit]").first.click()
        wait_for(lambda: desk.goto(centre.url + "/centre/stories") and
                 desk.locator("article.story").count() == 2, 60, "both stories in the centre's queue")
        told = desk.locator("article.story", has_text=ORIGINAL)
        private = desk.locator("article.story", has_text=PRIVATE)
        assert "ไม่ใช่ (เผยแพร่ไม่ได้)" in private.inner_text()
        assert serious_violations(desk) == [], "the centre's moderation queue"
        assert private.get_by_role("button", name=re.compile("Approve")).is_disabled()
        told.locator("textarea[name=text]").fill(EDITED)
        told.locator("form", has=desk.locator("textarea")).get_by_label("ผู้ตรวจ", exact=False).fill("ผู้ตรวจ ก")
        told.get_by_role("button", name=re.compile("บันทึกการแก้ไข")).click()
        told = desk.locator("article.story", has_text=ORIGINAL)
        assert told.locator("p.original").inner_text() == ORIGINAL  # the original kept beside the edit
        approve = told.locator("form", has=desk.get_by_role("button", name=re.compile("Approve")))
        approve.get_by_label("ผู้ตรวจ", exact=False).fill("ผู้ตรวจ ก")
        approve.get_by_role("button", name=re.compile("Approve")).click()
        assert "อนุมัติ เผยแพร่แล้ว" in desk.locator("article.story", has_text=ORIGINAL).inner_text()
        # The no-consent story, forced past the disabled button with the page's own form fields: refused.
        csrf = desk.locator("input[name=csrf]").first.get_attribute("value")
        story_id = private.get_attribute("id").removeprefix("story-")
        forced = desk.request.post(f"{centre.url}/centre/stories/{story_id}/approve",
                                   form={"csrf": csrf, "by": "ผู้ตรวจ ก"})
        assert forced.status == 409 and "no_consent" in forced.text()

        page = phone.new_page()
        wait_for(lambda: EDITED in requests.get(site.url + "/ranking/district/3706", timeout=30).text, 60,
                 "the approved story on the district page")
        page.goto(site.url + "/ranking/district/3706")
        story = page.locator("blockquote.story")
        assert EDITED in story.inner_text() and "เล่าโดย ส.จ." in story.inner_text()
        assert serious_violations(page) == [], "the district page with its story"
        page.goto(site.url + "/ranking/stories")
        assert EDITED in page.locator("main").inner_text() and serious_violations(page) == []
        for path, body in _public(site.url).items():
            assert ORIGINAL not in body and PRIVATE not in body and "สมศรี" not in body, path

        page.goto(ingest.url + "/d/withdraw")
        assert serious_violations(page) == [], "the withdrawal page"
        page.get_by_label("รหัสถอนความยินยอม", exact=False).fill(code)
        page.get_by_role("button", name="ถอนเรื่องเล่า").click()
        page.locator("h1", has_text="ถอนเรื่องเล่าแล้ว").wait_for()
        withdrawn_at = time.monotonic()
        wait_for(lambda: all(EDITED not in body for body in _public(site.url).values()), 60,
                 "the withdrawn story gone from every public route and the open data")
        assert time.monotonic() - withdrawn_at < 60
        assert requests.get(site.url + "/ranking/data/stories.json", timeout=30).json()["stories"] == []

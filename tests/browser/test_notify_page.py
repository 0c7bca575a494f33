"""A phone-sized Chromium without JavaScript opens the chief's page from the link in the received
e-mail, acknowledges and resolves the alert; the store has both notes."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from shared.timeutil import utcnow
from tests.integration.notify_env import built, load_directory, notify_env
from tests.support.ballots import ballot_records, vote
from tests.support.browser import ARTIFACTS, PHONE, chromium
from tests.support.fakes import Clock
from tests.support.notify_peers import LinePushApi, MailServer, WebhookReceiver
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.integration


def low_votes(now) -> list[SimpleNamespace]:
    return ballot_records([vote("3706", 2, now, comment="รอคิวนานเกินไป" if i == 0 else "") for i in range(10)])


def test_open_from_the_email_acknowledge_and_resolve(settings):
    with LinePushApi() as line, WebhookReceiver() as hook, MailServer() as mail:
        env = notify_env(settings, line_url=line.url, smtp_port=mail.port)
        with ServiceProcess("services.notify.wsgi:app", env, workers=1, threads=4) as web:
            clock = Clock(utcnow())
            notify = built(settings, clock, line_url=line.url, smtp_port=mail.port, public_url=web.url)
            load_directory(notify, hook.url)
            processor = notify.processor()
            processor.handle(low_votes(clock()))
            clock.advance(seconds=31)
            processor.tick(clock())
            notify.dispatcher().run_once("email")
            [(to, message)] = mail.keeper.parsed()
            assert to == ["chief3706@dopa.example"]
            link = re.search(r'href="([^"]+/a/[^"]+)"', message.get_body(("html",)).get_content()).group(1)
            assert link.startswith(web.url + "/a/")

            with chromium() as browser:
                context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="th-TH")
                page = context.new_page()
                seen: list[str] = []
                page.on("request", lambda r: seen.append(r.url))
                page.goto(link)
                assert page.locator("h1").inner_text().startswith("คะแนนเฉลี่ยต่ำ")
                assert page.locator("#status").inner_text() == "ยังไม่รับทราบ"
                assert "รอคิวนานเกินไป" in page.content()
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "notify-alert-page.png"), full_page=True)
                page.get_by_label("รับทราบ พร้อมบันทึกสั้น ๆ").fill("รับทราบ กำลังตรวจสอบคิวงานทะเบียน")
                page.get_by_role("button", name="รับทราบ · Acknowledge").click()
                assert page.locator(".notice").inner_text() == "บันทึกการรับทราบแล้ว ขอบคุณครับ/ค่ะ"
                assert page.locator("#status").inner_text() == "รับทราบแล้ว"
                page.get_by_label("บันทึกสิ่งที่ได้ดำเนินการ และปิดเรื่อง").fill("เพิ่มเจ้าหน้าที่ช่วงเช้า 2 คน")
                page.get_by_role("button", name="แก้ไขแล้ว · Resolve").click()
                assert page.locator("#status").inner_text() == "แก้ไขแล้ว"
                assert page.locator("#resolve-note").inner_text() == "เพิ่มเจ้าหน้าที่ช่วงเช้า 2 คน"
                assert page.get_by_role("button", name="รับทราบ · Acknowledge").count() == 0
                assert all(url.startswith(web.url + "/") for url in seen), seen
                context.close()
            alert = notify.store.alert("3706-low_mean-1")
            assert (alert.status, alert.acknowledge_note, alert.resolved_by) == (
                "resolved", "รับทราบ กำลังตรวจสอบคิวงานทะเบียน", "chief:3706")


def test_the_centre_signs_in_and_out_in_a_phone_sized_browser_without_violations(settings):
    """The centre's sign-out button (issue 22): reachable, accessible (axe), and it ends the session."""
    from tests.integration.notify_env import CENTRAL_KEY
    from tests.support.axe import ensure_axe

    with MailServer() as mail:
        env = notify_env(settings, line_url="http://127.0.0.1:9", smtp_port=mail.port)
        with ServiceProcess("services.notify.wsgi:app", env, workers=1, threads=4) as web, chromium() as browser:
            # JavaScript on for axe only: the pages themselves have none (the first test runs without it).
            context = browser.new_context(viewport=PHONE, locale="th-TH", bypass_csp=True)
            page = context.new_page()
            page.goto(web.url + "/centre")
            page.get_by_label("รหัสสำนักงานกลาง").fill(CENTRAL_KEY)
            page.get_by_role("button", name="เข้าสู่ระบบ · Sign in").click()
            assert page.locator("#alerts").count() == 1
            page.add_script_tag(path=str(ensure_axe()))  # axe is injected by the test (the page's CSP allows none)
            violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
                .violations.filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)""")
            assert violations == []
            page.get_by_role("button", name="ออกจากระบบ · Sign out").click()
            assert page.locator("#alerts").count() == 0 and page.get_by_label("รหัสสำนักงานกลาง").count() == 1
            page.goto(web.url + "/centre")
            assert page.locator("#alerts").count() == 0  # signed out for good
            context.close()

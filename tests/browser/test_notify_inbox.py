"""The chief's inbox on the real stack: citizens vote on the QR page (with praise) and on LINE (the comment sent
as a second message) through ingest under gunicorn and the LINE stand-in; scoring decides them from Kafka;
notify's ballots processor writes the feedback view. A chief with no open alert asks for a sign-in link,
opens it from the mail in a phone-sized Chromium without JavaScript, sees both comments, filters by score,
sees praise counted, merges two spellings of one staff member and the counts follow; then a deputy the
directory names asks for their own link with their own address and reads the same inbox (issue 19)."""

from __future__ import annotations

import re

import pytest

from services.channels.linedev.server import StandInServer
from services.channels.linedev.standin import LineStandIn
from services.notify.directory import Contact
from shared.timeutil import utcnow
from tests.integration.ingest_env import ingest_env
from tests.integration.notify_env import built, load_directory, notify_env, vote_records
from tests.support import line_api as line
from tests.support.axe import ensure_axe
from tests.support.browser import ARTIFACTS, PHONE, chromium
from tests.support.fakes import Clock
from tests.support.notify_peers import MailServer
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.integration


def _qr_vote(browser, base: str, score: int, word: str, comment: str, staff: str) -> None:
    """One citizen's phone (its own context, so its own voter) on the QR page, without JavaScript."""
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="th-TH")
    page = context.new_page()
    page.goto(base + "/d/3706")
    page.locator(f"label[for=score-{score}]").click()
    assert page.get_by_label(f"{score} {word}").is_checked()
    page.get_by_label("เจ้าหน้าที่หรือหน่วยงานที่อยากชม").fill(staff)
    page.get_by_label("คำติชม ข้อเสนอแนะ หรือเรื่องเล่าความประทับใจ").fill(comment)
    page.get_by_role("button", name="ส่งคะแนน").click()
    assert page.locator("h1").inner_text() == "ขอบคุณที่ร่วมให้คะแนน"
    context.close()


def _line_vote(browser, standin_url: str) -> None:
    """A citizen on LINE: the district code, a tapped 4, then the comment as a second message."""
    context = browser.new_context(viewport={"width": 360, "height": 700}, locale="th-TH")
    page = context.new_page()
    page.goto(standin_url + "/")
    page.get_by_role("button", name="เพิ่มเพื่อน").click()
    page.locator("#chat li.bot", has_text="ยินดีต้อนรับ").last.wait_for()
    message = page.get_by_label("ข้อความ")
    message.fill("3706")
    page.get_by_role("button", name="ส่ง").click()
    page.locator("#quick button", has_text="4 พอใจ").click()
    page.locator("#chat li.bot", has_text="ขอบคุณที่ให้คะแนน 4").last.wait_for()
    message.fill("ตอบไลน์: ที่จอดรถไม่พอ")
    page.get_by_role("button", name="ส่ง").click()
    page.locator("#chat li.bot", has_text="ได้รับความคิดเห็นแล้ว").last.wait_for()
    context.close()


def _people(page) -> dict[str, str]:
    rows = page.locator("#people tbody tr").all_inner_texts()
    return dict(tuple(r.split("\t")) for r in rows if "\t" in r)


def test_a_chief_without_an_alert_reads_the_inbox_and_merges_praise(settings):
    with StandInServer(LineStandIn(access_token=line.TEST_ACCESS_TOKEN,
                                   channel_secret=line.TEST_CHANNEL_SECRET)) as standin, MailServer() as mail:
        env = ingest_env(settings, TOPIC_COMMENTS=settings.topics.comments,
                         LINE_CHANNEL_SECRET=line.TEST_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN=line.TEST_ACCESS_TOKEN,
                         LINE_API_HOST=standin.url)
        with ServiceProcess("services.ingest.wsgi:app", env, workers=1, threads=4) as ingest, chromium() as browser:
            standin.standin.webhook_url = ingest.url + "/v1/channels/line/webhook"
            _qr_vote(browser, ingest.url, 5, "พอใจมาก", "บริการรวดเร็ว ขอบคุณค่ะ", "พี่นก งานบัตร")
            _qr_vote(browser, ingest.url, 1, "ไม่พอใจมาก", "รอนานมาก", "")
            _qr_vote(browser, ingest.url, 4, "พอใจ", "ประทับใจ", "คุณนกน้อย")
            _line_vote(browser, standin.url)

            notify = built(settings, Clock(utcnow()), line_url="http://127.0.0.1:9", smtp_port=mail.port)
            notify.store.ensure_indexes()
            notify.feedback.ensure_indexes()
            load_directory(notify, "https://hooks.example.org/x")
            notify.processor().handle(vote_records(settings))  # scoring's decisions, as ballots.v1 carries them
            assert notify.store.list_alerts(district="3706") == []  # a district without an alert

            web_env = notify_env(settings, line_url="http://127.0.0.1:9", smtp_port=mail.port)
            with ServiceProcess("services.notify.wsgi:app", web_env, workers=1, threads=4) as web:
                context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="th-TH")
                page = context.new_page()
                seen: list[str] = []
                page.on("request", lambda r: seen.append(r.url))
                page.goto(web.url + "/inbox")
                page.get_by_label("รหัสอำเภอ 4 หลัก").fill("3706")
                page.get_by_role("button", name=re.compile("ส่งลิงก์เข้าใช้")).click()
                assert "ระบบได้ส่งลิงก์เข้าใช้" in page.locator(".notice").inner_text()
                notify.clock.now = utcnow()  # the web process queued it just now, by the real clock
                notify.dispatcher().run_once("email")
                [(to, message)] = mail.keeper.parsed()
                assert to == ["chief3706@dopa.example"]
                link = re.search(r'href="([^"]+/inbox/enter/[^"]+)"', message.get_body(("html",)).get_content())
                page.goto(re.sub(r"^http://[^/]+", web.url, link.group(1)))

                assert page.locator("h1").inner_text().startswith("กล่องความคิดเห็น")
                comments = page.locator(".comment").all_inner_texts()
                assert "ตอบไลน์: ที่จอดรถไม่พอ" in comments[0] and "LINE" in comments[0]  # the newest: LINE's
                assert any("บริการรวดเร็ว" in c and "คิวอาร์โค้ด" in c for c in comments)
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "notify-inbox.png"), full_page=True)

                page.get_by_label("คะแนน Score").select_option("1")
                page.get_by_role("button", name="กรอง · Filter").click()
                assert [c for c in page.locator(".comment").all_inner_texts()] and all(
                    "คะแนน 1" in c for c in page.locator(".comment").all_inner_texts())
                assert "รอนานมาก" in page.content() and "บริการรวดเร็ว" not in page.content()

                page.goto(web.url + "/inbox")
                assert _people(page) == {"นก": "1", "นกน้อย": "1"}
                assert "งานบัตรประจำตัวประชาชน" in page.locator("#praise ~ table").first.inner_text()
                page.locator("#spelling").select_option(label="นกน้อย")
                page.locator("#into").select_option(label="นก")
                page.get_by_role("button", name="รวม · Merge").click()
                assert page.locator(".notice").inner_text().startswith("บันทึกแล้ว")
                assert _people(page) == {"นก": "2"}
                assert all(url.startswith(web.url + "/") for url in seen), seen
                cookies = context.cookies()
                context.close()

                # accessibility (axe, WCAG 2.1 AA): JavaScript on for axe only, the same session
                checked = browser.new_context(viewport=PHONE, locale="th-TH", bypass_csp=True)
                checked.add_cookies(cookies)
                page = checked.new_page()
                page.goto(web.url + "/inbox")
                assert page.locator("h1").inner_text().startswith("กล่องความคิดเห็น")
                page.add_script_tag(path=str(ensure_axe()))
                violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
                    .violations.filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)""")
                assert violations == []
                assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # phone-first
                checked.close()

                # issue 19: a deputy the directory names asks for their own link with their own address
                deputy = Contact("deputy", "3706", "สมศักดิ์ มั่นคง", "ปลัดอำเภอฝ่ายทะเบียน", None,
                                 "deputy3706@dopa.example", None, None, ("email",), True, "d1")
                notify.store.replace_directory([*notify.store.contacts(), deputy])
                context = browser.new_context(viewport=PHONE, locale="th-TH", bypass_csp=True)
                page = context.new_page()
                page.goto(web.url + "/inbox")
                page.add_script_tag(path=str(ensure_axe()))  # the sign-in form with its address field
                assert page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
                    .violations.filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)""") == []
                page.get_by_label("รหัสอำเภอ 4 หลัก").fill("3706")
                page.get_by_label(re.compile("อีเมลของท่านในทะเบียน")).fill("deputy3706@dopa.example")
                page.get_by_role("button", name=re.compile("ส่งลิงก์เข้าใช้")).click()
                notify.clock.now = utcnow()
                notify.dispatcher().run_once("email")
                to, message = mail.keeper.parsed()[-1]
                assert to == ["deputy3706@dopa.example"] and len(mail.keeper.parsed()) == 2
                link = re.search(r'href="([^"]+/inbox/enter/[^"]+)"', message.get_body(("html",)).get_content())
                page.goto(re.sub(r"^http://[^/]+", web.url, link.group(1)))
                assert "เข้าใช้ในฐานะ ปลัดอำเภอฝ่ายทะเบียน" in page.content()
                assert _people(page) == {"นก": "2"}  # the same district inbox, with the chief's merge
                context.close()

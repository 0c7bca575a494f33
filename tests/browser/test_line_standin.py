"""The LINE stand-in's chat page (make run's `line` program) driving a whole conversation with ingest under
gunicorn on the real broker: a shared district name chosen by province, a score tapped, a unit praised (issue
19), a comment and a second one appended to the same vote; every webhook signed, every reply through LINE's
reply endpoint."""

from __future__ import annotations

import pytest

from services.channels.linedev.server import StandInServer
from services.channels.linedev.standin import LineStandIn
from tests.support import line_api as line
from tests.support.axe import ensure_axe
from tests.support.browser import chromium
from tests.support.kafka_read import read_topic
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.integration


@pytest.fixture
def standin():
    with StandInServer(LineStandIn(access_token=line.TEST_ACCESS_TOKEN, channel_secret=line.TEST_CHANNEL_SECRET)) as s:
        yield s


@pytest.fixture
def ingest(settings, standin):
    env = line.line_ingest_env(settings, standin.url)
    with ServiceProcess("services.ingest.wsgi:app", env, workers=1, threads=4) as svc:
        standin.standin.webhook_url = svc.url + "/v1/channels/line/webhook"
        yield svc


def _bot_says(page, text: str) -> None:
    page.locator("#chat li.bot", has_text=text).last.wait_for()


def test_a_whole_conversation_on_the_chat_page(ingest, standin, settings):
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 320, "height": 700}, locale="th-TH",
                                      bypass_csp=True)  # axe is injected by the test, not served by the page
        page = context.new_page()
        seen: list[str] = []
        page.on("request", lambda r: seen.append(r.url))
        page.goto(standin.url + "/")
        assert page.title().startswith("LINE จำลอง")
        page.get_by_role("button", name="เพิ่มเพื่อน").click()
        _bot_says(page, "ยินดีต้อนรับสู่อำเภอสร้างสุข")
        message = page.get_by_label("ข้อความ")
        message.fill("เฉลิมพระเกียรติ")
        page.get_by_role("button", name="ส่ง").click()
        _bot_says(page, "มีหลายอำเภอที่ชื่อ “เฉลิมพระเกียรติ”")
        quick = page.locator("#quick button")
        assert "จ.นครราชสีมา" in quick.all_inner_texts() and "จ.นครศรีธรรมราช" in quick.all_inner_texts()
        quick.filter(has_text="จ.นครศรีธรรมราช").click()
        _bot_says(page, "อ.เฉลิมพระเกียรติ จ.นครศรีธรรมราช\nวันนี้ได้รับบริการเป็นอย่างไร")
        page.locator("#quick button", has_text="4 พอใจ").click()
        page.locator("#chat li.citizen", has_text="4 พอใจ").wait_for()  # the postback's displayText
        _bot_says(page, "ขอบคุณที่ให้คะแนน 4 (พอใจ)")
        _bot_says(page, "อยากชมเจ้าหน้าที่หรืองานไหนเป็นพิเศษ")  # the praise question (issue 19)
        page.locator("#quick button", has_text="งานทะเบียนราษฎร").click()
        _bot_says(page, "ได้รับคำชมแล้ว")
        message.fill("เจ้าหน้าที่ใจดีมาก")
        page.get_by_role("button", name="ส่ง").click()
        _bot_says(page, "ได้รับความคิดเห็นแล้ว")
        message.fill("อีกเรื่องหนึ่ง: ที่จอดรถไม่พอ")
        page.get_by_role("button", name="ส่ง").click()
        _bot_says(page, "ได้รับข้อความเพิ่มเติมแล้ว ต่อท้ายความคิดเห็นเดิม")
        assert "(รวม 2 ข้อความ)" in page.locator("#chat li.bot").last.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 320  # fits the narrowest phone
        assert page.locator("#chat li.system").count() == 1  # only the follow note: no webhook or API error
        assert all(url.startswith(standin.url + "/") for url in seen), seen  # no CDN
        page.add_script_tag(path=str(ensure_axe()))
        violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
            .violations.filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)""")
        assert violations == []

    [(key, vote)] = read_topic(settings.kafka_bootstrap, settings.topics.votes)
    assert (key, vote["channel"], vote["score"]) == (b"8023", "line", 4)
    praise, first, second = [c for _key, c in read_topic(settings.kafka_bootstrap, settings.topics.comments)]
    assert praise["vote_id"] == first["vote_id"] == second["vote_id"] == vote["vote_id"]
    assert (praise["staff"], praise["comment"], first["staff"]) == ("งานทะเบียนราษฎร", "", None)
    assert second["comment"] == "เจ้าหน้าที่ใจดีมาก\nอีกเรื่องหนึ่ง: ที่จอดรถไม่พอ"


def test_the_api_refuses_what_line_refuses(standin):
    """A wrong token, a reply token never handed out, a label over LINE's 20 characters: LINE's own answers."""
    import requests

    reply = {"replyToken": "never-issued", "messages": [{"type": "text", "text": "x"}]}
    auth = {"Authorization": f"Bearer {line.TEST_ACCESS_TOKEN}"}
    url = standin.url + "/v2/bot/message/reply"
    assert requests.post(url, json=reply, headers={"Authorization": "Bearer wrong"}, timeout=5).status_code == 401
    refused = requests.post(url, json=reply, headers=auth, timeout=5)
    assert (refused.status_code, refused.json()) == (400, {"message": "Invalid reply token"})
    long_label = {"to": line.user_id(), "messages": [{"type": "text", "text": "x", "quickReply": {"items": [
        {"type": "action", "action": {"type": "postback", "label": "เฉลิมพระเกียรติ (นครราชสีมา)", "data": "d"}}]}}]}
    refused = requests.post(standin.url + "/v2/bot/message/push", json=long_label, headers=auth, timeout=5)
    assert refused.status_code == 400
    assert refused.json()["details"] == [{"message": "Length must be between 0 and 20",
                                          "property": "messages[0].quickReply.items[0].action.label"}]
    for body, headers in ((b"{", {"Content-Type": "application/json"}), (b"{}", {"Content-Type": "text/plain"})):
        answer = requests.post(standin.url + f"/chat/{line.user_id()}/say", data=body, headers=headers, timeout=5)
        assert answer.status_code in (400, 415)
    assert requests.get(standin.url + "/chat/not-a-user", timeout=5).status_code == 404

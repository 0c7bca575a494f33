"""The chief's inbox on the real store and a real mail server: a one-time sign-in link mailed to the
directory's address, every counted comment newest first with filters, praise counted with merges that move
the counts, CSRF and precise 4xx answers."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from services.notify.app import create_app
from shared.events import CommentEvent, StoryDecisionEvent, StoryEvent, VoteEvent
from shared.timeutil import utcnow
from tests.integration.notify_env import built, load_directory
from tests.integration.test_notify_feedback_view import _records
from tests.support.fakes import Clock
from tests.support.notify_peers import MailServer

pytestmark = pytest.mark.integration


def _vote(score: int, at, *, comment: str = "", staff: str | None = None, channel: str = "qr",
          district: str = "3706") -> VoteEvent:
    return VoteEvent(str(uuid.uuid4()), district, score, comment, staff, "id_card", channel, None, at, at)


@pytest.fixture
def world(settings):
    now = utcnow()
    clock = Clock(now)
    with MailServer() as mail:
        notify = built(settings, clock, line_url="http://127.0.0.1:9", smtp_port=mail.port)
        load_directory(notify, "https://hooks.example.org/x")
        line = _vote(4, now + timedelta(seconds=3), channel="line")
        events = [_vote(1, now, comment="รอนานมาก โทร 081-234-5678"), _vote(5, now + timedelta(seconds=1),
                  comment="บริการดีมาก", staff="พี่นก งานบัตร"), _vote(5, now + timedelta(seconds=2), staff="คุณนกน้อย"),
                  line, _vote(2, now + timedelta(seconds=4), staff="พี่นก"),
                  _vote(3, now + timedelta(seconds=5), comment="อำเภออื่น", district="4408")]
        records = _records(events)
        comment = _records([*events, CommentEvent("c1", line.vote_id, "3706", "ตอบทางไลน์ ขอบคุณค่ะ", "line",
                                                  now + timedelta(minutes=1))])[-1:]
        processor = notify.processor()
        processor.handle(records)
        processor.handle(comment)
        yield notify, create_app(notify).test_client(), mail, clock


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def sign_in(notify, client, mail) -> str:
    """Asks for the link, lets the dispatcher mail it, and returns the link's path from the mail."""
    csrf = csrf_of(client.get("/inbox").get_data(as_text=True))
    r = client.post("/inbox/sign-in", data={"district": "3706", "csrf": csrf})
    assert r.status_code == 200
    notify.dispatcher().run_once("email")
    to, message = mail.keeper.parsed()[-1]
    assert to == ["chief3706@dopa.example"]
    body = message.get_body(("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:8084(/inbox/enter/\S+)", body).group(1)


def test_the_chief_signs_in_by_mail_and_reads_every_comment(world):
    notify, client, mail, _clock = world
    page = client.get("/inbox").get_data(as_text=True)
    assert "รหัสอำเภอ" in page and "<script" not in page  # not signed in: the sign-in form
    path = sign_in(notify, client, mail)
    r = client.get(path)
    assert r.status_code == 303 and r.headers["Location"].endswith("/inbox")
    r = client.get("/inbox")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert page.index("ตอบทางไลน์") < page.index("บริการดีมาก") < page.index("รอนานมาก")  # newest first
    assert "081-234-5678" not in page and "อำเภออื่น" not in page
    assert page.index("กล่องความคิดเห็น") < page.index("Feedback inbox")
    assert client.get(path).status_code == 410  # one use only

    page = client.get("/inbox?score=1").get_data(as_text=True)
    assert "รอนานมาก" in page and "บริการดีมาก" not in page
    page = client.get("/inbox?praise=1").get_data(as_text=True)
    assert "คำชม: คุณนกน้อย" in page and "คำชม: พี่นก งานบัตร" in page and "รอนานมาก" not in page
    page = client.get("/inbox?channel=line").get_data(as_text=True)
    assert "ตอบทางไลน์" in page and "รอนานมาก" not in page
    assert client.get("/inbox?score=9").status_code == 400
    assert client.get("/inbox?from=2026-13-40").status_code == 400


def test_praise_counts_follow_a_merge_and_low_votes_do_not_count(world):
    notify, client, mail, _clock = world
    client.get(sign_in(notify, client, mail))
    page = client.get("/inbox").get_data(as_text=True)
    people = dict(re.findall(r"<tr><td>([^<]+)</td><td class=\"person-count\">(\d+)</td>", page))
    assert people == {"นก": "1", "นกน้อย": "1"}  # the vote of 2 naming พี่นก is not praise
    assert re.search(r"งานบัตรประจำตัวประชาชน</td><td class=\"units-count\">1<", page)
    csrf = csrf_of(page)
    assert client.post("/inbox/praise/merge", data={"spelling": "นกน้อย", "into": "นก"}).status_code == 403
    r = client.post("/inbox/praise/merge", data={"spelling": "นกน้อย", "into": "นก", "csrf": csrf})
    assert r.status_code == 303
    page = client.get("/inbox").get_data(as_text=True)
    assert dict(re.findall(r"<tr><td>([^<]+)</td><td class=\"person-count\">(\d+)</td>", page)) == {"นก": "2"}
    r = client.post("/inbox/praise/merge", data={"spelling": "นก", "into": "นก", "csrf": csrf})
    assert r.status_code == 400
    r = client.post("/inbox/praise/rename", data={"key": "นก", "name": "ศิริพร", "csrf": csrf})
    page = client.get("/inbox").get_data(as_text=True)
    assert dict(re.findall(r"<tr><td>([^<]+)</td><td class=\"person-count\">(\d+)</td>", page)) == {"ศิริพร": "2"}


def test_sessions_end_on_sign_out_and_unknown_districts_learn_nothing(world):
    notify, client, mail, _clock = world
    client.get(sign_in(notify, client, mail))
    page = client.get("/inbox").get_data(as_text=True)
    cookie = client.get_cookie("notify_inbox", path="/inbox").value
    assert client.post("/inbox/sign-out", data={"csrf": csrf_of(page)}).status_code == 200
    client.set_cookie("notify_inbox", cookie, path="/inbox")  # a copy kept from before
    assert "รหัสอำเภอ" in client.get("/inbox").get_data(as_text=True)
    csrf = csrf_of(client.get("/inbox").get_data(as_text=True))
    before = len(mail.keeper.messages)
    known = client.post("/inbox/sign-in", data={"district": "3706", "csrf": csrf}).get_data(as_text=True)
    unknown = client.post("/inbox/sign-in", data={"district": "1001", "csrf": csrf}).get_data(as_text=True)
    assert known == unknown
    notify.dispatcher().run_once("email")
    assert len(mail.keeper.messages) == before  # the same ten minutes: no second mail to the chief
    assert client.post("/inbox/sign-in", data={"district": "37x6", "csrf": csrf}).status_code == 400
    assert client.get("/inbox/enter/" + "x" * 600).status_code == 403
    assert client.get("/inbox/enter/not-a-token").status_code == 403


def test_the_alert_message_and_page_lead_to_the_inbox(world):
    notify, client, _mail, clock = world
    processor = notify.processor()
    processor.handle(_records([_vote(1, clock() + timedelta(seconds=10 + i)) for i in range(12)]))
    clock.advance(seconds=31)
    processor.tick(clock())
    chief = [d for d in notify.store.outbox.find({"contact": "chief:3706"}) if d["content"]["payload"]["type"] ==
             "alerts"]
    assert chief, "the low-mean alert was sent to the chief"
    link = chief[0]["content"]["payload"]["inbox_url"]
    assert link in chief[0]["content"]["text"] and link in chief[0]["content"]["html"]
    assert {"label": "กล่องความคิดเห็น", "url": link} in chief[0]["content"]["buttons"]
    path = link.removeprefix("http://127.0.0.1:8084")
    assert client.get(path).status_code == 303 and client.get(path).status_code == 303  # reusable, unlike sign-in
    assert "ตอบทางไลน์" in client.get("/inbox").get_data(as_text=True)
    governor = [d for d in notify.store.outbox.find({"contact": "governor:37"})]
    assert all(not d["content"]["payload"].get("inbox_url") for d in governor)
    alert_page = client.get("/a/" + notify.links.token("3706-low_mean-1", "chief:3706")).get_data(as_text=True)
    assert "/inbox/enter/" in alert_page


def test_the_centre_exports_praise_across_districts(world):
    notify, client, _mail, _clock = world
    from io import BytesIO

    from openpyxl import load_workbook

    from tests.integration.notify_env import CENTRAL_KEY

    auth = {"Authorization": f"Bearer {CENTRAL_KEY}"}
    assert client.get("/v1/praise").status_code == 401
    rows = client.get("/v1/praise", headers=auth).get_json()["rows"]
    assert [(r["kind"], r["district_code"], r["key"], r["votes"]) for r in rows] == [
        ("unit", "3706", "id_card", 1), ("person", "3706", "นก", 1), ("person", "3706", "นกน้อย", 1)]
    assert rows[0]["size_group"] == notify.registry.get("3706").size_group
    csv_body = client.get("/v1/praise?format=csv", headers=auth)
    assert csv_body.data.startswith("\ufeff".encode()) and "attachment" in csv_body.headers["Content-Disposition"]
    book = load_workbook(BytesIO(client.get("/v1/praise?format=xlsx", headers=auth).data))
    assert book.active["A2"].value == "unit" and book.active["I2"].value == 1
    group = notify.registry.get("3706").size_group
    assert client.get(f"/v1/praise?group={group}&province=37", headers=auth).get_json()["rows"]
    elsewhere = next(d.province_code for d in notify.registry if d.province_code != "37")
    assert client.get(f"/v1/praise?province={elsewhere}", headers=auth).get_json()["rows"] == []
    for bad in ("group=huge", "province=xx", "format=pdf", "from=2020-01-01", "to=tomorrow"):
        assert client.get(f"/v1/praise?{bad}", headers=auth).status_code == 400, bad


def test_the_centre_downloads_praise_from_its_browser_session(world):
    _notify, client, _mail, _clock = world
    from tests.integration.notify_env import CENTRAL_KEY

    assert client.get("/centre/praise?format=csv").status_code == 401  # no session: the sign-in form
    csrf = csrf_of(client.get("/centre").get_data(as_text=True))
    assert client.post("/centre/login", data={"key": CENTRAL_KEY, "csrf": csrf}).status_code == 303
    page = client.get("/centre").get_data(as_text=True)
    assert "/centre/praise?format=xlsx" in page
    r = client.get("/centre/praise?format=csv")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert "unit,3706" in r.get_data(as_text=True) and "นกน้อย" in r.get_data(as_text=True)
    assert client.get("/centre/praise?format=pdf").status_code == 400


def test_a_district_s_own_units_are_read_and_counted(world):
    notify, client, mail, clock = world
    from tests.integration.notify_env import CENTRAL_KEY

    auth = {"Authorization": f"Bearer {CENTRAL_KEY}"}
    units = [{"id": "mobile_office", "th": "อำเภอเคลื่อนที่", "en": "Mobile office", "aliases": ["หน่วยเคลื่อนที่"]}]
    assert client.put("/v1/praise/units/3706", json=units).status_code == 401
    assert client.put("/v1/praise/units/3706", json=units, headers=auth).status_code == 200
    for bad in ([{"id": "Bad Id", "th": "x"}], [{"id": "x"}], {"id": "x"}, [{"id": "x", "th": "x"}] * 31,
                [{"id": "x", "th": "x", "aliases": ["a"] * 11}]):
        assert client.put("/v1/praise/units/3706", json=bad, headers=auth).status_code == 400, bad
    assert client.put("/v1/praise/units/9999", json=units, headers=auth).status_code == 404
    assert client.put("/v1/praise/units/3706", data="x", headers=auth).status_code == 415

    notify.processor().handle(_records([_vote(5, clock() + timedelta(minutes=5), staff="ขอบคุณหน่วยเคลื่อนที่ค่ะ")]))
    client.get(sign_in(notify, client, mail))
    page = client.get("/inbox").get_data(as_text=True)
    assert re.search(r"อำเภอเคลื่อนที่</td><td class=\"units-count\">1<", page)


def test_the_chief_reads_the_district_s_stories_approved_or_not_but_never_an_original_or_a_withdrawn_one(world):
    """Issue 21: the stories about the district in the inbox, in the words the centre may publish."""
    notify, client, mail, clock = world
    store, now = notify.story_store, clock()

    def told(story_id: str, text: str, district: str = "3706", publish: bool = True) -> StoryEvent:
        return StoryEvent(story_id, "told", district, "qr", now, vote_id="v-" + story_id, voter_key="c" * 64,
                          text=text, publish=publish, credit="initials" if publish else "anonymous",
                          credit_name="ส.จ." if publish else None, consent_version="2026-12-v1")

    store.told(told("s-new", "ปลัดช่วยกรอกแบบฟอร์มให้จนเสร็จ"))
    store.told(told("s-edited", "คุณสมศรีเบอร์ 0812345678 ช่วยพาไปห้องน้ำ"))
    assert store.apply(StoryDecisionEvent("d" * 32, "s-edited", "3706", "edit", "moderator", now,
                                          text="เจ้าหน้าที่ช่วยพาไปห้องน้ำ"))
    store.told(told("s-private", "เรื่องที่ไม่ให้เผยแพร่", publish=False))
    store.told(told("s-gone", "เรื่องที่ถอนแล้ว"))
    store.withdrawn(StoryEvent("s-gone", "withdrawn", "3706", "qr", now))
    store.told(told("s-other", "อีกอำเภอหนึ่ง", district="4408"))
    client.get(sign_in(notify, client, mail))
    page = client.get("/inbox").get_data(as_text=True)
    stories = page[page.index('id="stories"'):page.index('id="alerts"')]
    assert "ปลัดช่วยกรอกแบบฟอร์มให้จนเสร็จ" in stories and "รอสำนักงานกลางพิจารณา" in stories
    assert "เจ้าหน้าที่ช่วยพาไปห้องน้ำ" in stories and "คุณสมศรี" not in page  # the edit; its original stays
    assert "เรื่องที่ไม่ให้เผยแพร่" in stories and "ไม่อนุญาตให้เผยแพร่" in stories
    assert "เรื่องที่ถอนแล้ว" not in page and "อีกอำเภอหนึ่ง" not in page


"""Issue 19's deputies on the real store and a real mail server (aiosmtpd): each deputy the directory names
asks for their own one-time sign-in link, mailed to their own address and nobody else's, and reads the same
district inbox as the chief, only their district's; an address not in the directory is answered the same;
a deputy removed from the directory is refused at the next request; alerts and the digest reach each
chief and deputy who wants them, each with their own links; what a deputy does records who did it."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import timedelta

import pytest

from services.notify.app import create_app
from services.notify.directory import COLUMNS, parse_directory
from services.notify.inbox_access import Reader
from shared.events import VoteEvent
from shared.timeutil import bangkok_day, utcnow
from tests.integration.notify_env import built
from tests.integration.test_notify_feedback_view import _records
from tests.support.fakes import Clock
from tests.support.notify_peers import MailServer

pytestmark = pytest.mark.integration

CHIEF, DEPUTY, QUIET, OTHER = ("chief3706@dopa.example", "deputy1.3706@dopa.example", "deputy2.3706@dopa.example",
                               "deputy1.4408@dopa.example")
ROWS = [
    f"chief,3706,สมชาย ใจดี,นายอำเภอหัวตะพาน,,{CHIEF},,,email,yes,,",
    f"deputy,3706,สมศักดิ์ มั่นคง,ปลัดอำเภอฝ่ายทะเบียน,,{DEPUTY},,,email,yes,d1,yes",
    f"deputy,3706,สมพร ดีงาม,ปลัดอำเภอฝ่ายปกครอง,,{QUIET},,,email,no,d2,no",
    "chief,4408,วิชัย ตั้งใจ,นายอำเภอพยัคฆภูมิพิสัย,,chief4408@dopa.example,,,email,yes,,",
    f"deputy,4408,วิไล ใจงาม,ปลัดอำเภอพยัคฆภูมิพิสัย,,{OTHER},,,email,yes,d1,",
    "governor,37,สมหญิง รักดี,ผู้ว่าราชการจังหวัดอำนาจเจริญ,,governor37@dopa.example,,,email,no,,",
]


def load(notify, rows: list[str]) -> None:
    text = "\n".join([",".join(COLUMNS), *rows]) + "\n"
    notify.store.replace_directory(parse_directory(text, notify.registry))


def _vote(score: int, at, *, comment: str = "", staff: str | None = None, district: str = "3706") -> VoteEvent:
    return VoteEvent(str(uuid.uuid4()), district, score, comment, staff, "id_card", "qr", None, at, at)


@pytest.fixture
def world(settings):
    now = utcnow()
    clock = Clock(now)
    with MailServer() as mail:
        notify = built(settings, clock, line_url="http://127.0.0.1:9", smtp_port=mail.port)
        load(notify, ROWS)
        notify.processor().handle(_records([
            _vote(2, now, comment="รอคิวนานมาก"), _vote(5, now + timedelta(seconds=1), staff="พี่นก งานบัตร"),
            _vote(5, now + timedelta(seconds=2), comment="ขอบคุณค่ะ", staff="คุณนกน้อย"),
            _vote(4, now + timedelta(seconds=3), comment="อำเภออื่นบริการดี", district="4408")]))
        yield notify, create_app(notify).test_client(), mail, clock


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def ask(client, district: str, email: str = ""):
    csrf = csrf_of(client.get("/inbox").get_data(as_text=True))
    return client.post("/inbox/sign-in", data={"district": district, "email": email, "csrf": csrf})


def mailed(notify, mail) -> list[tuple[list[str], str]]:
    """Lets the dispatcher send what is queued; every mail so far as (recipients, its inbox link's path)."""
    notify.dispatcher().run_once("email")
    found = []
    for to, message in mail.keeper.parsed():
        body = message.get_body(("plain",)).get_content()
        link = re.search(r"http://127\.0\.0\.1:8084(/inbox/enter/\S+)", body)
        found.append((to, link.group(1) if link else ""))
    return found


def sign_in(notify, client, mail, district: str, email: str, expected_to: str) -> str:
    before = len(mail.keeper.messages)
    assert ask(client, district, email).status_code == 200
    sent = mailed(notify, mail)[before:]
    assert [to for to, _ in sent] == [[expected_to]], sent
    return sent[0][1]


def inbox(client):
    r = client.get("/inbox")
    return r.status_code, r.get_data(as_text=True)


def test_a_deputy_signs_in_with_their_own_address_and_reads_the_district_s_inbox(world, caplog):
    notify, client, mail, _clock = world
    caplog.set_level(logging.INFO)
    path = sign_in(notify, client, mail, "3706", "Deputy1.3706@DOPA.example", DEPUTY)  # case does not matter
    assert client.get(path).status_code == 303
    status, page = inbox(client)
    assert status == 200 and "รอคิวนานมาก" in page and "ขอบคุณค่ะ" in page
    assert "อำเภออื่นบริการดี" not in page  # another district's comment
    assert "เข้าใช้ในฐานะ ปลัดอำเภอฝ่ายทะเบียน" in page and "Signed in as a deputy" in page
    assert client.get(path).status_code == 410  # one use only

    r = client.post("/inbox/praise/merge", data={"spelling": "นกน้อย", "into": "นก", "csrf": csrf_of(page)})
    assert r.status_code == 303
    change = notify.praise.docs.find_one({"_id": "3706"})["changes"][-1]
    assert (change["op"], change["by"]) == ("merge", "deputy:3706:d1") and change["at"] is not None
    page = inbox(client)[1]
    assert dict(re.findall(r"<tr><td>([^<]+)</td><td class=\"person-count\">(\d+)</td>", page)) == {"นก": "2"}

    ours = [r for r in caplog.records if r.name.startswith(("services.", "shared."))]  # not the mail peer's
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in ours)
    assert "deputy:3706:d1" in logged  # who signed in is logged by directory key ...
    assert "deputy1.3706" not in logged.lower() and "สมศักดิ์" not in logged  # ... never by address or name


def test_the_chief_still_signs_in_without_an_address_and_each_person_gets_their_own_link(world):
    notify, client, mail, clock = world
    chief_path = sign_in(notify, client, mail, "3706", "", CHIEF)
    deputy_path = sign_in(notify, client, mail, "3706", DEPUTY, DEPUTY)
    assert chief_path != deputy_path
    assert notify.inbox_access().enter(chief_path.rsplit("/", 1)[1], notify.clock()) == Reader("3706", "chief:3706")
    assert client.get(deputy_path).status_code == 303  # the chief's use of their own link does not spend this one
    assert inbox(client)[0] == 200
    clock.advance(seconds=601)  # the next ten minutes: one more mail per person
    chief_path = sign_in(notify, client, mail, "3706", CHIEF, CHIEF)  # the chief may type the address too
    assert client.get(chief_path).status_code == 303
    status, page = inbox(client)
    assert status == 200 and "เข้าใช้ในฐานะ นายอำเภอหัวตะพาน" in page


def test_an_address_not_in_the_directory_is_answered_the_same_and_mailed_nothing(world):
    notify, client, mail, _clock = world
    known = ask(client, "3706", DEPUTY).get_data(as_text=True)
    answers = [ask(client, "3706", email).get_data(as_text=True) for email in (
        "stranger@dopa.example",  # nobody
        OTHER,                    # a deputy of another district: never a link to 3706
        "governor37@dopa.example",
    )]
    answers.append(ask(client, "1001", DEPUTY).get_data(as_text=True))  # not a district of the programme
    assert all(a == known for a in answers)
    assert [to for to, _ in mailed(notify, mail)] == [[DEPUTY]]
    for _ in range(3):  # asked again and again within ten minutes: one mail per person
        assert ask(client, "3706", DEPUTY).status_code == 200
    assert [to for to, _ in mailed(notify, mail)] == [[DEPUTY]]
    for bad in ("not-an-address", "a@" + "b" * 300 + ".example", "ก@dopa.example"):
        r = ask(client, "3706", bad)
        assert r.status_code == 400 and "กรุณากรอกอีเมลให้ถูกต้อง" in r.get_data(as_text=True)


def test_a_deputy_of_another_district_cannot_open_this_inbox(world):
    notify, client, mail, _clock = world
    path = sign_in(notify, client, mail, "4408", OTHER, OTHER)
    assert client.get(path).status_code == 303
    status, page = inbox(client)
    assert status == 200 and "อำเภออื่นบริการดี" in page and "รอคิวนานมาก" not in page

    # a link or a session naming district 3706 for the deputy of 4408 (as if signed by us) is refused
    token = notify.inbox_access().entry_url(Reader("3706", "deputy:4408:d1")).rsplit("/", 1)[1]
    r = client.get(f"/inbox/enter/{token}")
    assert r.status_code == 403 and "ไม่มีสิทธิ์เปิดกล่องความคิดเห็นนี้" in r.get_data(as_text=True)
    client.set_cookie("notify_inbox", notify.inbox_access().open(Reader("3706", "deputy:4408:d1")), path="/inbox")
    status, page = inbox(client)
    assert status == 403 and "ไม่มีสิทธิ์" in page and "รอคิวนานมาก" not in page
    assert page.index("ไม่มีสิทธิ์") < page.index("The directory does not name you")
    alert_link = "/a/" + notify.links.token("3706-low_mean-1", "deputy:4408:d1")
    assert client.get(alert_link).status_code == 403


def test_a_removed_deputy_is_refused_at_the_next_request_and_the_chief_still_works(world):
    notify, client, mail, _clock = world
    kept_link = sign_in(notify, client, mail, "3706", QUIET, QUIET)  # asked before the removal, used after
    path = sign_in(notify, client, mail, "3706", DEPUTY, DEPUTY)
    assert client.get(path).status_code == 303
    status, page = inbox(client)
    assert status == 200
    csrf, cookie = csrf_of(page), client.get_cookie("notify_inbox", path="/inbox").value

    load(notify, [row for row in ROWS if ",d1," not in row or ",4408," in row])  # deputy d1 of 3706 leaves
    r = client.post("/inbox/praise/rename", data={"key": "นก", "name": "ศิริพร", "csrf": csrf})
    assert r.status_code == 403
    assert not (notify.praise.docs.find_one({"_id": "3706"}) or {}).get("changes")
    client.set_cookie("notify_inbox", cookie, path="/inbox")  # a copy of the cookie kept from before
    status, page = inbox(client)
    assert status == 403 and "ไม่มีสิทธิ์" in page and "รอคิวนานมาก" not in page
    assert "รหัสอำเภอ" in inbox(client)[1]  # the refused cookie was dropped: the sign-in form again
    before = len(mail.keeper.messages)
    assert ask(client, "3706", DEPUTY).status_code == 200
    assert len(mailed(notify, mail)) == before  # no link for someone no longer in the directory

    load(notify, [row for row in ROWS if ",d2," not in row])  # d2 leaves too, after asking for a link
    r = client.get(kept_link)
    assert r.status_code == 403 and "ไม่มีสิทธิ์" in r.get_data(as_text=True)
    assert client.get_cookie("notify_inbox", path="/inbox") is None

    chief = sign_in(notify, client, mail, "3706", "", CHIEF)
    assert client.get(chief).status_code == 303 and inbox(client)[0] == 200


def test_alerts_and_the_digest_reach_each_reader_who_wants_them_with_their_own_links(world):
    notify, client, _mail, clock = world
    processor = notify.processor()
    processor.handle(_records([_vote(1, clock() + timedelta(seconds=10 + i)) for i in range(12)]))
    clock.advance(seconds=31)
    processor.tick(clock())
    alerts = {}
    for doc in notify.store.outbox.find({}):
        if doc["content"]["payload"]["type"] == "alerts":
            alerts[doc["contact"]] = doc["content"]
    assert set(alerts) == {"chief:3706", "deputy:3706:d1"}  # d2 said alerts=no; 4408 has no alert
    chief_link, deputy_link = (alerts[k]["payload"]["inbox_url"] for k in ("chief:3706", "deputy:3706:d1"))
    assert chief_link != deputy_link and deputy_link in alerts["deputy:3706:d1"]["text"]
    assert client.get(deputy_link.removeprefix("http://127.0.0.1:8084")).status_code == 303
    assert inbox(client)[0] == 200

    alert_path = re.search(r"http://127\.0\.0\.1:8084(/a/\S+)", alerts["deputy:3706:d1"]["text"]).group(1)
    page = client.get(alert_path).get_data(as_text=True)
    assert "/inbox/enter/" in page
    alert_csrf = client.get_cookie("notify_csrf", path="/a/").value
    r = client.post(alert_path + "/acknowledge", data={"note": "กำลังเพิ่มเจ้าหน้าที่", "csrf": alert_csrf})
    assert r.status_code == 303
    alert = notify.store.alert("3706-low_mean-1")
    assert alert.acknowledged_by == "deputy:3706:d1"
    assert "รับทราบโดย ปลัดอำเภอฝ่ายทะเบียน" in inbox(client)[1]

    now = clock()
    assert notify.digest().send_now("3706", now) == 2
    digests = {d["contact"]: d["content"] for d in notify.store.outbox.find({}) if
               d["content"]["payload"]["type"] == "weekly_digest"}
    assert set(digests) == {"chief:3706", "deputy:3706:d1"}  # d2 said digest=no
    links = {k: re.search(r"/inbox/enter/\S+", v["text"]).group(0) for k, v in digests.items()}
    assert links["chief:3706"] != links["deputy:3706:d1"]
    assert notify.inbox_access().enter(links["deputy:3706:d1"].rsplit("/", 1)[1], now) == Reader(
        "3706", "deputy:3706:d1")

    monday = bangkok_day(now) + timedelta(days=7 - bangkok_day(now).weekday())
    assert notify.digest().run(monday, now) == 4  # the weekly run: every chief and deputy with digest yes
    weekly = sorted(d["contact"] for d in notify.store.outbox.find({}) if
                    d["content"]["payload"]["type"] == "weekly_digest" and d["keys"][0].startswith("digest-2"))
    assert weekly == ["chief:3706", "chief:4408", "deputy:3706:d1", "deputy:4408:d1"]


def test_alert_links_work_only_while_the_directory_names_their_holder_for_the_district(world):
    """Chief, deputy and governor alike: a signed alert link lives 14 days, but once the directory no longer
    names its holder for the alert's district (or province) the alert page is a 403 and takes no action."""
    notify, client, _mail, clock = world
    processor = notify.processor()
    processor.handle(_records([_vote(1, clock() + timedelta(seconds=10 + i)) for i in range(12)]))
    clock.advance(seconds=31)
    processor.tick(clock())
    alert_id = "3706-low_mean-1"
    assert notify.store.alert(alert_id) is not None
    paths = {key: "/a/" + notify.links.token(alert_id, key)
             for key in ("chief:3706", "deputy:3706:d1", "governor:37", "chief:4408", "governor:44", "centre")}
    expected = {"chief:3706": 200, "deputy:3706:d1": 200, "governor:37": 200, "centre": 200,
                "chief:4408": 403, "governor:44": 403}  # another district's chief; a governor not in the file
    assert {key: client.get(path).status_code for key, path in paths.items()} == expected

    load(notify, [row for row in ROWS if not row.startswith(("chief,3706", "governor,37"))])  # both leave
    for key in ("chief:3706", "governor:37"):
        r = client.get(paths[key])
        assert r.status_code == 403 and "ไม่มีสิทธิ์" in r.get_data(as_text=True), key
        r = client.post(paths[key] + "/acknowledge", data={"note": "x", "csrf": "x"})
        assert r.status_code in (400, 403), key
    assert notify.store.alert(alert_id).acknowledged_by is None
    assert client.get(paths["deputy:3706:d1"]).status_code == 200  # who stays keeps the page

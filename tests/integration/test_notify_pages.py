"""The chief's page and the centre's API on the real store: signed links, CSRF, transitions, filters."""

from __future__ import annotations

import re

import pytest

from services.notify.app import create_app
from services.notify.links import AlertLinks
from shared.timeutil import utcnow
from tests.integration.notify_env import CENTRAL_KEY, LINK_SECRET, built, load_directory
from tests.support.ballots import ballot_records, vote
from tests.support.fakes import Clock

CENTRE = {"Authorization": f"Bearer {CENTRAL_KEY}"}


@pytest.fixture
def notify(settings):
    clock = Clock(utcnow())
    n = built(settings, clock, line_url="http://127.0.0.1:9", smtp_port=9)
    load_directory(n, "https://hooks.example.org/x")
    return n


@pytest.fixture
def opened(notify):
    """An open low-mean alert for 3706 with comments behind it (one carrying a phone number)."""
    now = notify.clock()
    records = ballot_records([vote("3706", 2, now, comment="รอคิวนานมาก โทร 081-234-5678" if i == 0 else
                                   ("เจ้าหน้าที่ไม่พอ" if i == 1 else "")) for i in range(10)])
    notify.processor().handle(records)
    return notify.store.alert("3706-low_mean-1")


@pytest.fixture
def client(notify):
    return create_app(notify).test_client()


def link_path(notify, alert_id: str, who: str = "chief:3706") -> str:
    return "/a/" + notify.links.token(alert_id, who)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_the_page_shows_the_alert_trend_and_redacted_comments(client, notify, opened):
    r = client.get(link_path(notify, opened.id))
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "คะแนนเฉลี่ยต่ำ" in page and "อำเภอหัวตะพาน" in page and "ยังไม่รับทราบ" in page
    assert page.index("คะแนนเฉลี่ยต่ำ") < page.index("Low mean score")
    assert "เจ้าหน้าที่ไม่พอ" in page and "081-234-5678" not in page and "[redacted-phone]" in page
    assert "<script" not in page and "<meter" in page
    assert r.headers["Cache-Control"] == "no-store" and r.headers["Referrer-Policy"] == "no-referrer"
    assert "notify_csrf=" in r.headers["Set-Cookie"] and "SameSite=Strict" in r.headers["Set-Cookie"]


def test_acknowledge_then_resolve_with_notes_and_csrf(client, notify, opened):
    path = link_path(notify, opened.id)
    csrf = csrf_of(client.get(path).get_data(as_text=True))
    r = client.post(path + "/acknowledge", data={"note": "รับทราบ กำลังตรวจสอบ", "csrf": csrf})
    assert r.status_code == 303
    alert = notify.store.alert(opened.id)
    assert alert.status == "acknowledged" and alert.acknowledge_note == "รับทราบ กำลังตรวจสอบ"
    assert alert.acknowledged_by == "chief:3706"
    r = client.post(path + "/acknowledge", data={"note": "again", "csrf": csrf})
    assert r.status_code == 409
    r = client.post(path + "/resolve", data={"note": "   ", "csrf": csrf})
    assert r.status_code == 400
    r = client.post(path + "/resolve", data={"note": "เพิ่มเจ้าหน้าที่ช่วงเช้า", "csrf": csrf})
    assert r.status_code == 303
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "บันทึกการแก้ไขแล้ว" in page and "เพิ่มเจ้าหน้าที่ช่วงเช้า" in page and "แก้ไขแล้ว" in page
    assert notify.store.alert(opened.id).status == "resolved"


def test_a_post_without_the_csrf_pair_is_refused(client, notify, opened):
    path = link_path(notify, opened.id)
    r = client.post(path + "/acknowledge", data={"note": "x"})
    assert r.status_code == 403
    client.get(path)  # cookie set
    r = client.post(path + "/acknowledge", data={"note": "x", "csrf": "forged"})
    assert r.status_code == 403
    assert notify.store.alert(opened.id).status == "open"


def test_bad_and_expired_links(client, notify, opened):
    assert client.get("/a/not-a-token").status_code == 403
    forged = AlertLinks("another-secret", "http://x").token(opened.id, "chief:3706")
    assert client.get("/a/" + forged).status_code == 403
    expired = AlertLinks(LINK_SECRET, "http://x", max_age_s=-1)
    notify.links.max_age_s = -1
    try:
        r = client.get("/a/" + expired.token(opened.id, "chief:3706"))
    finally:
        notify.links.max_age_s = 14 * 86400
    assert r.status_code == 410 and "หมดอายุ" in r.get_data(as_text=True)
    assert client.get(link_path(notify, "3706-low_mean-99")).status_code == 404


def test_the_chief_silences_the_rule(client, notify, opened):
    path = link_path(notify, opened.id)
    csrf = csrf_of(client.get(path).get_data(as_text=True))
    r = client.post(path + "/silence", data={"days": "3", "scope": "rule", "note": "ปิดปรับปรุงอาคาร", "csrf": csrf})
    assert r.status_code == 303
    silences = notify.store.active_silences(notify.clock())
    assert [(s.district, s.rule, s.created_by) for s in silences] == [("3706", "low_mean", "chief:3706")]
    assert client.post(path + "/silence", data={"days": "99", "note": "x", "csrf": csrf}).status_code == 400


def test_the_centre_api_needs_its_key_and_filters(client, notify, opened):
    r = client.get("/v1/alerts")
    assert r.status_code == 401 and r.get_json()["error"] == "unauthenticated"
    assert client.get("/v1/alerts", headers={"Authorization": "Bearer wrong"}).status_code == 401
    body = client.get("/v1/alerts?status=open&province=37&rule=low_mean", headers=CENTRE).get_json()
    assert [a["id"] for a in body["alerts"]] == [opened.id] and body["alerts"][0]["age_s"] >= 0
    assert client.get("/v1/alerts?province=37", headers=CENTRE).get_json()["count"] == 2  # and the burst
    assert client.get("/v1/alerts?district=4408", headers=CENTRE).get_json()["count"] == 0
    bad = client.get("/v1/alerts?status=closed&rule=x", headers=CENTRE)
    assert bad.status_code == 400 and set(bad.get_json()["fields"]) == {"status", "rule"}
    r = client.post(f"/v1/alerts/{opened.id}/acknowledge", json={"note": "centre saw it"}, headers=CENTRE)
    assert r.status_code == 200 and r.get_json()["acknowledged_by"] == "centre"
    assert client.post(f"/v1/alerts/{opened.id}/acknowledge", json={"note": "x"}, headers=CENTRE).status_code == 409
    r = client.post("/v1/silences", json={"district_code": "3706", "hours": 2, "note": "ตรวจระบบ"}, headers=CENTRE)
    assert r.status_code == 201 and r.get_json()["rule"] is None
    r = client.post("/v1/silences", json={"district_code": "9999", "hours": 2, "note": "x"}, headers=CENTRE)
    assert r.status_code == 400 and "9999" in r.get_json()["message"]


def test_the_directory_api_refuses_a_bad_file_whole_and_exports_masked(client, notify):
    bad = "role,code,name,title,line_user_id,email,webhook_url,webhook_secret,channels,digest\n" \
          "chief,9999,ก,t,,bad,,,email,yes\n"
    r = client.put("/v1/directory", data=bad.encode(), headers={**CENTRE, "Content-Type": "text/csv"})
    assert r.status_code == 422
    problems = r.get_json()["fields"]["_file"]
    assert any("9999" in p for p in problems) and any("email" in p for p in problems)
    assert len(notify.store.contacts()) == 2  # the loaded directory is untouched
    exported = client.get("/v1/directory", headers=CENTRE).get_data(as_text=True)
    assert "chief3706@dopa.example" not in exported and "c***@dopa.example" in exported
    assert client.put("/v1/directory", data=b"x", headers={**CENTRE, "Content-Type": "text/plain"}).status_code == 415


def test_readyz_says_which_transports_are_off(settings):
    n = built(settings, Clock(utcnow()), line_url="http://127.0.0.1:9", smtp_port=9)
    n.transports.pop("line")
    n.transports_off["line"] = "LINE_CHANNEL_ACCESS_TOKEN is not set: LINE messages are not sent"
    body = create_app(n).test_client().get("/readyz").get_json()
    assert body["checks"]["store"] is True  # (no consumer runs here: "consumer" is false, and ready too)
    assert body["detail"]["transports"]["line"].startswith("off: LINE_CHANNEL_ACCESS_TOKEN")
    assert body["detail"]["transports"]["email"] == "on"


def test_the_centre_view_signs_in_with_the_key_and_filters(client, notify, opened):
    page = client.get("/centre")
    assert page.status_code == 200 and "รหัสสำนักงานกลาง" in page.get_data(as_text=True)
    csrf = csrf_of(page.get_data(as_text=True))
    assert client.post("/centre/login", data={"key": CENTRAL_KEY}).status_code == 403  # no CSRF field
    assert client.post("/centre/login", data={"key": "wrong", "csrf": csrf}).status_code == 401
    assert client.get("/centre").get_data(as_text=True).count('id="alerts"') == 0  # still signed out
    r = client.post("/centre/login", data={"key": CENTRAL_KEY, "csrf": csrf})
    assert r.status_code == 303 and "HttpOnly" in r.headers["Set-Cookie"]
    listing = client.get("/centre?status=open&province=37&rule=low_mean")
    html = listing.get_data(as_text=True)
    assert listing.status_code == 200 and "หัวตะพาน" in html and html.count("<tr><td>") == 1
    assert "default-src 'none'" in listing.headers["Content-Security-Policy"]
    assert client.get("/centre?district=4408").get_data(as_text=True).count("<tr><td>") == 0
    assert client.get("/centre?status=closed").status_code == 400
    link = re.search(r'href="(http://[^"]+/a/[^"]+)"', html).group(1)
    path = link.split("8084", 1)[1]
    page = client.get(path).get_data(as_text=True)
    client.post(path + "/acknowledge", data={"note": "ส่วนกลางรับทราบ", "csrf": csrf_of(page)})
    assert notify.store.alert(opened.id).acknowledged_by == "centre"


def _signed_in_client(notify, keys: tuple[str, ...] | None = None):
    client = create_app(notify).test_client()
    csrf = csrf_of(client.get("/centre").get_data(as_text=True))
    assert client.post("/centre/login", data={"key": keys[0] if keys else CENTRAL_KEY, "csrf": csrf}).status_code == 303
    return client


def test_signing_out_ends_the_session_and_any_copy_of_its_cookie(notify, opened):
    client = _signed_in_client(notify)
    page = client.get("/centre").get_data(as_text=True)
    assert 'id="alerts"' in page and "ออกจากระบบ" in page
    session = client.get_cookie("notify_centre").value
    r = client.post("/centre/logout", data={"csrf": csrf_of(page)})
    assert r.status_code == 200 and "notify_centre=;" in r.headers.getlist("Set-Cookie")[-1].replace('""', "")
    assert 'id="alerts"' not in client.get("/centre").get_data(as_text=True)
    thief = create_app(notify).test_client()
    thief.set_cookie("notify_centre", session)  # a copy taken before the sign-out
    assert 'id="alerts"' not in thief.get("/centre").get_data(as_text=True)


def test_rotating_the_central_office_keys_ends_the_sessions_opened_with_a_retired_key(notify, opened):
    from dataclasses import replace

    client = _signed_in_client(notify)
    assert 'id="alerts"' in client.get("/centre").get_data(as_text=True)
    rotated = replace(notify, config=replace(notify.config, central_office_keys=("a-new-key",)))
    survivor = create_app(rotated).test_client()
    survivor.set_cookie("notify_centre", client.get_cookie("notify_centre").value)
    assert 'id="alerts"' not in survivor.get("/centre").get_data(as_text=True)
    fresh = _signed_in_client(rotated, ("a-new-key",))
    assert 'id="alerts"' in fresh.get("/centre").get_data(as_text=True)


def test_a_resolved_alerts_link_cannot_silence(client, notify, opened):
    path = link_path(notify, opened.id)
    page = client.get(path).get_data(as_text=True)
    client.post(path + "/resolve", data={"note": "เพิ่มเจ้าหน้าที่แล้ว", "csrf": csrf_of(page)})
    assert notify.store.alert(opened.id).status == "resolved"
    r = client.post(path + "/silence", data={"days": "7", "scope": "all", "note": "ปิดไว้", "csrf": csrf_of(page)})
    assert r.status_code == 409
    assert notify.store.active_silences(notify.clock()) == []

"""Notify against the real store with real peers (aiosmtpd, a LINE push endpoint, a webhook receiver):
one message per receiver per event through redeliveries, retries and escalation."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import requests

from services.notify.outbox import DEAD
from shared.timeutil import utcnow
from tests.integration.ingest_env import AUTH, ingest_env
from tests.integration.notify_env import CHIEF_LINE, LINE_TOKEN, built, load_directory, vote_records
from tests.support.fakes import Clock
from tests.support.notify_peers import LinePushApi, MailServer, WebhookReceiver
from tests.support.processes import ServiceProcess


@pytest.fixture
def peers():
    with LinePushApi() as line, WebhookReceiver() as hook, MailServer() as mail:
        yield line, hook, mail


@pytest.fixture
def clock():
    return Clock(utcnow())


def make_notify(settings, clock, peers, **kwargs):
    line, hook, mail = peers
    notify = built(settings, clock, line_url=line.url, smtp_port=mail.port, **kwargs)
    notify.store.ensure_indexes()
    load_directory(notify, hook.url + "/hooks/sangsuk")
    return notify


def deliver_all(notify) -> None:
    dispatcher = notify.dispatcher()
    for name in notify.transports:
        dispatcher.run_once(name)


def post_votes(settings, scores: list[int], district: str = "3706") -> None:
    with ServiceProcess("services.ingest.wsgi:app", ingest_env(settings), workers=1, threads=4) as ingest:
        for score in scores:
            r = requests.post(ingest.url + "/v1/votes", json={"district_code": district, "score": score},
                              headers=AUTH, timeout=10)
            assert r.status_code == 202, r.text


def test_low_votes_through_ingest_give_one_message_per_receiver(settings, peers, clock):
    line, hook, mail = peers
    notify = make_notify(settings, clock, peers)
    post_votes(settings, [1] * 6 + [2] * 4)
    clock.now = utcnow()  # the rules look back from now: the votes were received just before
    processor = notify.processor()
    records = vote_records(settings)
    assert len(records) == 1  # scoring's one ballots record for the district's batch
    report = processor.handle(records)
    assert report.votes == 10 and report.alerts_changed == 2  # low mean and unhappy burst
    deliver_all(notify)
    assert line.delivered == [] and mail.keeper.messages == []  # group wait: nothing yet
    clock.advance(seconds=31)
    processor.tick(clock())
    deliver_all(notify)

    assert len(line.delivered) == 1
    push = line.delivered[0]
    assert push["body"]["to"] == CHIEF_LINE
    text = push["body"]["messages"][0]["text"]
    assert "คะแนนเฉลี่ยต่ำ" in text and "ความไม่พอใจพุ่งสูง" in text  # two rules, one message
    assert text.index("อำเภอหัวตะพาน") < text.index("Hua Taphan")
    assert push["body"]["messages"][1]["template"]["actions"][0]["uri"].startswith("http://127.0.0.1:8084/a/")
    assert line.requests[0]["auth"] == f"Bearer {LINE_TOKEN}" and len(line.requests[0]["retry_key"]) == 36

    assert len(mail.keeper.messages) == 1
    to, message = mail.keeper.parsed()[0]
    assert to == ["chief3706@dopa.example"]
    assert message["Subject"].startswith("[อำเภอสร้างสุข] แจ้งเตือน")
    assert "คะแนนเฉลี่ยต่ำ" in message.get_body(("plain",)).get_content()

    assert len(hook.verified) == 1 and all(r["ok"] for r in hook.requests)
    payload = next(iter(hook.verified.values()))
    assert {i["rule"] for i in payload["items"]} == {"low_mean", "unhappy_burst"}

    # Redelivery of the whole topic and more ticks: nothing new for anyone.
    processor.handle(records)
    processor.forget()
    processor.handle(records)
    clock.advance(minutes=5)
    processor.tick(clock())
    deliver_all(notify)
    assert len(line.delivered) == 1 and len(mail.keeper.messages) == 1 and len(hook.verified) == 1
    assert len(line.requests) == 1 and len(hook.requests) == 1


def test_failing_twice_then_succeeding_delivers_once_and_one_transport_down_blocks_none(settings, peers, clock):
    line, hook, mail = peers
    notify = make_notify(settings, clock, peers, max_attempts=3)
    line.script = [(500, {}), (429, {"Retry-After": "30"})]
    mail.keeper.refuse_next = 2
    hook.script = [(503, {}), (503, {})]
    processor = notify.processor()
    now = clock()
    processor.handle(_low_records(now))
    clock.advance(seconds=31)
    processor.tick(clock())
    deliver_all(notify)  # attempt 1 fails everywhere
    clock.advance(seconds=2.1)
    deliver_all(notify)  # attempt 2 fails everywhere; LINE answers 429 with Retry-After: 30
    assert len(line.requests) == 2
    clock.advance(seconds=28)
    deliver_all(notify)  # mail and webhook succeed; LINE still waits out its Retry-After
    assert len(line.requests) == 2 and len(mail.keeper.messages) == 1
    clock.advance(seconds=3)
    deliver_all(notify)
    clock.advance(minutes=5)
    deliver_all(notify)
    assert len(line.delivered) == 1 and len({r["retry_key"] for r in line.requests}) == 1
    assert len(line.requests) == 3
    assert len(mail.keeper.messages) == 1
    assert len(hook.verified) == 1 and len({r["id"] for r in hook.requests}) == 1 and len(hook.requests) == 3
    outbox = list(notify.store.outbox.find({}))
    assert {d["transport"]: d["attempts"] for d in outbox} == {"line": 3, "email": 3, "webhook": 3}


def test_a_dead_transport_is_dead_lettered_while_the_others_deliver(settings, peers, clock):
    line, hook, mail = peers
    notify = make_notify(settings, clock, peers, max_attempts=3)
    line.script = [(503, {})] * 10
    processor = notify.processor()
    processor.handle(_low_records(clock()))
    clock.advance(seconds=31)
    processor.tick(clock())
    for _ in range(4):
        deliver_all(notify)
        clock.advance(seconds=10)
    assert len(mail.keeper.messages) == 1 and len(hook.verified) == 1
    dead = list(notify.store.outbox.find({"state": DEAD}))
    assert [d["transport"] for d in dead] == ["line"] and dead[0]["attempts"] == 3
    assert "503" in dead[0]["last_error"] and line.delivered == []


def test_unacknowledged_for_48_hours_reaches_the_governor_once(settings, peers, clock):
    _line, _hook, mail = peers
    notify = make_notify(settings, clock, peers)
    processor = notify.processor()
    processor.handle(_low_records(clock(), unhappy=False))
    clock.advance(seconds=31)
    processor.tick(clock())
    deliver_all(notify)
    assert [to for to, _ in mail.keeper.messages] == [["chief3706@dopa.example"]]
    clock.advance(hours=24)
    processor.tick(clock())
    deliver_all(notify)
    subjects = [m["Subject"] for _, m in mail.keeper.parsed()]
    assert len([s for s in subjects if "เตือนซ้ำ" in s]) == 1  # the 24 h reminder to the chief
    clock.advance(hours=24)
    processor.tick(clock())
    deliver_all(notify)
    clock.advance(hours=1)
    processor.tick(clock())
    deliver_all(notify)
    governor = [m for to, m in mail.keeper.parsed() if to == ["governor37@dopa.example"]]
    assert len(governor) == 1 and "ยกระดับ" in governor[0]["Subject"]
    assert notify.store.alert("3706-low_mean-1").escalated_at is not None


def _low_records(now, *, unhappy: bool = True):
    """Ten low votes for 3706, as scoring's ballots (spread over two days unless a burst is wanted)."""
    from tests.support.ballots import ballot_records, vote

    return ballot_records([vote("3706", 2, now - (timedelta(minutes=1) if unhappy else timedelta(days=1 + i % 2)))
                           for i in range(10)])


class _Raising:
    """A transport of our own interface that fails in a way no transport anticipated (a bug)."""

    name = "line"

    def send(self, outgoing, contact) -> None:
        raise ValueError("unanticipated")


def test_an_unexpected_transport_error_counts_as_an_attempt_and_ends_dead(settings, peers, clock):
    notify = make_notify(settings, clock, peers, max_attempts=2)
    notify.transports["line"] = _Raising()
    processor = notify.processor()
    processor.handle(_low_records(clock()))
    clock.advance(seconds=31)
    processor.tick(clock())
    for _ in range(3):
        notify.dispatcher().run_once("line")
        clock.advance(seconds=10)
    [dead] = list(notify.store.outbox.find({"transport": "line"}))
    assert (dead["state"], dead["attempts"]) == (DEAD, 2) and "unexpected ValueError" in dead["last_error"]


def test_votes_scoring_flags_do_not_count(settings, peers, clock):
    """Past the kiosk-key burst cap (lowered here to 6) scoring decides the votes flagged: notify leaves them out."""
    notify = make_notify(settings, clock, peers)
    with ServiceProcess("services.ingest.wsgi:app", ingest_env(settings), workers=1, threads=4) as ingest:
        for _ in range(12):
            r = requests.post(ingest.url + "/v1/votes", json={"district_code": "3706", "score": 1}, headers=AUTH,
                              timeout=10)
            assert r.status_code == 202, r.text
    clock.now = utcnow()
    report = notify.processor().handle(vote_records(replace(settings, flags=replace(settings.flags, key_burst_cap=6))))
    assert (report.votes, report.flagged) == (6, 6)
    assert notify.store.alert("3706-unhappy_burst-1").figures["votes"] == 6
    assert notify.store.alert("3706-low_mean-1") is None  # 12 votes sent, only 6 count: under the 10 needed

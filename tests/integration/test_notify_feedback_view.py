"""The feedback view on the real store: notify's ballots processor writes one document per counted vote with
a comment or praise, a LINE comment sent as a second message joins its vote, a replay changes nothing, and
the reads find a district's newest first and every district's days by indexed equality."""

from __future__ import annotations

import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest

from shared.counting import LogCounter
from shared.districts import default_registry
from shared.events import CommentEvent, VoteEvent, ballots_record
from shared.timeutil import bangkok_day, utcnow
from shared.topics import TAGGER_VERSION
from tests.integration.notify_env import built
from tests.support.fakes import Clock

pytestmark = pytest.mark.integration


def _records(events) -> list[SimpleNamespace]:
    """What scoring publishes for these votes and comments, decided by the platform's counting rules."""
    counter = LogCounter(frozenset(default_registry().codes()))
    out = []
    for offset, event in enumerate(events):
        ballot = counter.vote(event, offset) if isinstance(event, VoteEvent) else counter.comment(event)
        if ballot is not None:
            out.append(SimpleNamespace(value=ballots_record(ballot.district_code, [ballot]), offset=offset))
    return out


def _vote(district: str, score: int, at, *, comment: str = "", staff: str | None = None, channel: str = "qr",
          service: str | None = "id_card", voter: str | None = None) -> VoteEvent:
    return VoteEvent(str(uuid.uuid4()), district, score, comment, staff, service, channel, voter, at, at)


def test_the_processor_writes_the_view_and_a_replay_changes_nothing(settings):
    now = utcnow()
    clock = Clock(now)
    notify = built(settings, clock, line_url="http://127.0.0.1:9", smtp_port=9)
    feedback = notify.feedback
    feedback.ensure_indexes()
    qr = _vote("3706", 2, now, comment="รอนานมาก", service="id_card")
    praise = _vote("3706", 5, now + timedelta(seconds=1), staff="พี่นก งานบัตร", service="civil_registration")
    line = _vote("3706", 4, now + timedelta(seconds=2), channel="line", service="licences_permits", voter="line-user")
    plain = _vote("3706", 3, now + timedelta(seconds=3))
    other = _vote("4408", 1, now + timedelta(seconds=4), comment="ไม่มีคนอยู่")
    first = _records([qr, praise, line, plain, other])

    processor = notify.processor()
    processor.handle(first)
    # LINE's second message, in a later batch: its vote's service and channel come from notify's store
    second = _records([qr, praise, line, plain, other,
                       CommentEvent("c-1", line.vote_id, "3706", "ขอบคุณที่ช่วยค่ะ", "line",
                                    now + timedelta(minutes=2))])[-1:]
    processor.handle(second)

    docs = {d["_id"]: feedback.get(d["_id"]) for d in feedback.docs.find({})}
    assert set(docs) == {qr.vote_id, praise.vote_id, line.vote_id, other.vote_id}
    joined = docs[line.vote_id]
    assert (joined["comment"], joined["service"], joined["channel"], joined["score"]) == (
        "ขอบคุณที่ช่วยค่ะ", "licences_permits", "line", 4)
    assert docs[praise.vote_id]["praise"]["person_key"] == "นก" and docs[praise.vote_id]["praise_counted"]
    assert docs[qr.vote_id]["praise"] is None
    assert abs(docs[line.vote_id]["received_at"] - line.received_at) < timedelta(milliseconds=1)
    # every counted comment is tagged as it is written (services/notify/topic_tags.py); praise only: no topics
    assert docs[qr.vote_id]["topics"] == {"waiting": "negative"} and docs[other.vote_id]["topics"]
    assert docs[praise.vote_id]["topics"] == {} and {d["tagger_version"] for d in docs.values()} == {TAGGER_VERSION}

    notify.processor().handle(first + second)  # a replay, by a fresh processor as after a restart
    assert {d["_id"]: feedback.get(d["_id"]) for d in feedback.docs.find({})} == docs

    latest = feedback.newest_comments("3706")  # the alert page's one keyed read
    assert [e["v"] for e in latest] == [line.vote_id, qr.vote_id] and latest[0]["t"] == "ขอบคุณที่ช่วยค่ะ"
    today = bangkok_day(now)
    assert feedback.praise_mentions("3706", today, today) == [  # the tally, still one after the replay
        {"praise_counted": True, "praise": {"kind": "person", "unit_id": "id_card", "person_key": "นก"}}]
    newest = feedback.newest("3706", today, limit=10)
    assert [d["_id"] for d in newest] == [line.vote_id, praise.vote_id, qr.vote_id]
    assert [d["_id"] for d in feedback.newest("3706", today, limit=1)] == [line.vote_id]
    assert {d["_id"] for d in feedback.across_districts(today - timedelta(days=1), today)} == set(docs)
    assert feedback.set_topics(praise.vote_id, {"courtesy": "positive"}, "t1")
    assert feedback.get(praise.vote_id)["topics"] == {"courtesy": "positive"}
    notify.processor().handle(first)  # a praise-only vote replayed keeps what was set since (tags on insert only)
    assert feedback.get(praise.vote_id)["tagger_version"] == "t1"

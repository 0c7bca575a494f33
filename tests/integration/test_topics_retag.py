"""`sangsuk topics retag` on the real broker and store: every counted comment gets the current tagger's
topics and version from ballots.v1; counts, comments and praise stay as they were; a flagged vote gets nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest

from shared.counting import LogCounter
from shared.districts import default_registry
from shared.events import CommentEvent, VoteEvent, ballots_record
from shared.timeutil import utcnow
from shared.topics import TAGGER_VERSION
from tests.integration.notify_env import built
from tests.support.fakes import Clock
from tests.support.ranking import ranking_env, sangsuk
from tests.support.scoring import producer

pytestmark = pytest.mark.integration


def test_retag_sets_the_current_version_from_the_log_and_touches_nothing_else(settings):
    now = utcnow()
    vote = lambda score, comment, **kw: VoteEvent(str(uuid.uuid4()), "3706", score, comment, kw.get("staff"),  # noqa: E731
                                                  "id_card", kw.get("channel", "qr"), None, now, now,
                                                  flagged=kw.get("flagged", False),
                                                  flag_reason="address_burst" if kw.get("flagged") else None)
    slow, praise = vote(2, "รอนานมาก ห้องน้ำสกปรก"), vote(5, "", staff="งานบัตร")
    later = vote(4, "", channel="line", staff="พี่นก")
    flagged = vote(1, "แย่มาก เจ้าหน้าที่หยาบคาย", flagged=True)
    counter = LogCounter(frozenset(default_registry().codes()))
    ballots = [counter.vote(e, i) for i, e in enumerate([slow, praise, later, flagged])]
    ballots.append(counter.comment(CommentEvent("c1", later.vote_id, "3706", "ระบบจองคิวล่ม", "line",
                                                now + timedelta(minutes=1))))
    p = producer(settings)
    for b in ballots:
        p.send(settings.topics.ballots, key=b"3706", value=ballots_record("3706", [b])).get(timeout=30)
    p.close()

    notify = built(settings, Clock(now), line_url="http://127.0.0.1:9", smtp_port=9)
    feedback = notify.feedback
    notify.processor().handle([record_of(b) for b in ballots])
    before = {d["_id"]: d for d in feedback.docs.find({})}
    assert set(before) == {slow.vote_id, praise.vote_id, later.vote_id}  # the flagged vote has no document
    feedback.docs.update_many({}, {"$set": {"topics": {"old": "tags"}, "tagger_version": "lexicon-0"}})

    run = sangsuk(ranking_env(settings), "topics", "retag", "--quiet")
    assert run.code == 0, run.err
    assert run.out["tagger_version"] == TAGGER_VERSION and run.out["documents_retagged"] >= 3
    after = {d["_id"]: d for d in feedback.docs.find({})}
    assert after[slow.vote_id]["topics"] == {"waiting": "negative", "facilities": "negative"}
    assert after[later.vote_id]["topics"] == {"digital": "negative"}  # the later comment's, not its vote's
    assert after[praise.vote_id]["topics"] == {}
    assert {d["tagger_version"] for d in after.values()} == {TAGGER_VERSION}
    strip = lambda d: {k: v for k, v in d.items() if k not in ("topics", "tagger_version")}  # noqa: E731
    assert {k: strip(d) for k, d in after.items()} == {k: strip(d) for k, d in before.items()}


def record_of(ballot) -> SimpleNamespace:
    return SimpleNamespace(value=ballots_record(ballot.district_code, [ballot]), offset=0)


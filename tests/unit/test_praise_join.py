"""Issue 19's join rules: a praise sent after its vote (LINE's question, on comments.v1's `staff`) and a comment
sent after it never wipe each other, in scoring's in-memory rules (LogCounter: the live and the early join),
on the follow-up ballots, and in notify's feedback view (replays and redeliveries included); praise inside a
vote of 1 or 2 is not counted (shared.praise.counts_as_praise, the one rule)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notify.feedback import VoteFacts, feedback_writes
from shared.counting import FollowUp, LogCounter, follow_up_sets
from shared.events import BALLOT_COMMENT, CommentEvent, VoteEvent, decode
from shared.praise import counts_as_praise
from tests.unit.test_notify_feedback import DIRECTORY, VOTED, Documents, vote

AT = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)


def line_vote(vote_id: str = "v1", score: int = 5) -> VoteEvent:
    return VoteEvent(vote_id, "3706", score, "", None, None, "line", "a" * 64, AT, AT)


def message(n: int, comment: str = "", staff: str | None = None, vote_id: str = "v1") -> CommentEvent:
    return CommentEvent(f"c{n}", vote_id, "3706", comment, "line", AT + timedelta(minutes=n), staff=staff)


def test_a_record_without_staff_reads_as_none_and_a_praise_round_trips():
    old = (b'{"schema":"comments.v1","comment_id":"c","vote_id":"v","district_code":"3706","comment":"x",'
           b'"channel":"line","received_at":"2026-11-21T02:30:01.120Z"}')
    assert decode(CommentEvent, old).staff is None
    praise = message(1, staff="พี่สมศรี งานทะเบียน")
    assert decode(CommentEvent, praise.to_bytes()) == praise


def test_a_message_sets_only_its_own_parts():
    assert follow_up_sets("", AT, "งานบัตร") == {"st": "งานบัตร"}
    assert follow_up_sets("ดีมาก", AT, None) == {"c": "ดีมาก", "ca": AT}
    joined = FollowUp().joined(message(1, comment="ดีมาก")).joined(message(2, staff="งานบัตร"))
    assert joined == FollowUp("ดีมาก", AT + timedelta(minutes=1), "งานบัตร")
    assert joined.joined(message(3, comment="อีกเรื่อง")) == FollowUp("อีกเรื่อง", AT + timedelta(minutes=3), "งานบัตร")


@pytest.mark.parametrize("order", [("praise", "comment"), ("comment", "praise")])
def test_the_early_join_keeps_both_whichever_came_first(order):
    counter = LogCounter(frozenset({"3706"}))
    parts = {"praise": message(1, staff="พี่สมศรี"), "comment": message(2, comment="รวดเร็วมาก")}
    for name in order:
        assert counter.comment(parts[name]) is None  # the vote is not in the log yet: the message waits
    ballot = counter.vote(line_vote(), 7)
    assert (ballot.comment, ballot.staff, ballot.comment_at) == ("รวดเร็วมาก", "พี่สมศรี", AT + timedelta(minutes=2))


def test_live_follow_ups_carry_their_own_part_and_notify_keeps_both_under_replay():
    counter = LogCounter(frozenset({"3706"}))
    decided = counter.vote(line_vote(), 3)
    praise = counter.comment(message(1, staff="พี่สมศรี งานทะเบียน"))
    comment = counter.comment(message(2, comment="ขอบคุณค่ะ"))
    assert (praise.kind, praise.comment, praise.staff, praise.comment_at) == (BALLOT_COMMENT, "", "พี่สมศรี งานทะเบียน",
                                                                             None)
    assert (comment.comment, comment.staff) == ("ขอบคุณค่ะ", None)
    facts = {"v1": VoteFacts(None, "line", AT)}
    for batches in ([[decided, praise, comment]], [[decided], [praise], [comment]], [[decided, comment, praise]],
                    # a redelivery of everything after the follow-ups, and of the vote alone
                    [[decided, praise, comment], [decided, praise, comment]], [[decided, praise, comment], [decided]]):
        docs = Documents()
        for batch in batches:
            writes = feedback_writes(batch, lambda _d: DIRECTORY, lambda b: facts[b.vote_id])
            assert all(not set(w.sets) & set(w.on_insert) for w in writes)  # MongoDB refuses such an update
            docs.apply(writes)
        doc = docs.docs["v1"]
        assert doc["comment"] == "ขอบคุณค่ะ" and doc["comment_at"] == AT + timedelta(minutes=2)
        assert doc["praise"]["text"] == "พี่สมศรี งานทะเบียน" and doc["praise"]["person_key"] == "สมศรี"
        assert doc["praise"]["unit_id"] == "civil_registration" and doc["praise_counted"] is True
        assert (doc["channel"], doc["score"], doc["dday"]) == ("line", 5, "3706:2026-12-05")


def test_a_praise_alone_makes_the_document_and_a_later_praise_replaces_it():
    counter = LogCounter(frozenset({"3706"}))
    decided = counter.vote(line_vote(score=4), 3)
    first = counter.comment(message(1, staff="งานบัตร"))
    second = counter.comment(message(2, staff="พี่สมศรี"))
    docs = Documents()
    docs.apply(feedback_writes([decided, first], lambda _d: DIRECTORY, lambda b: VoteFacts()))
    doc = docs.docs["v1"]
    assert doc["comment"] == "" and doc["praise"]["unit_id"] == "id_card" and doc["praise_counted"] is True
    assert doc["at"] == decided.submitted_at  # no comment: the vote's time sorts it
    docs.apply(feedback_writes([second], lambda _d: DIRECTORY, lambda b: VoteFacts(None, "line", AT)))
    assert docs.docs["v1"]["praise"]["person_key"] == "สมศรี" and docs.docs["v1"]["praise"]["unit_id"] is None


@pytest.mark.parametrize("score,counted", [(1, False), (2, False), (3, True), (4, True), (5, True)])
def test_a_praise_follow_up_counts_by_the_one_rule(score, counted):
    follow_up = vote("v9", score=score)
    follow_up = follow_up.__class__(**{**follow_up.__dict__, "kind": BALLOT_COMMENT, "staff": "งานบัตร",
                                       "received_at": None, "channel": "line"})
    docs = Documents()
    docs.apply(feedback_writes([follow_up], lambda _d: DIRECTORY, lambda b: VoteFacts(None, "line", VOTED)))
    assert docs.docs["v9"]["praise_counted"] is counted is counts_as_praise(score, "งานบัตร", DIRECTORY)


def test_a_follow_up_with_neither_part_writes_nothing():
    counter = LogCounter(frozenset({"3706"}))
    counter.vote(line_vote(), 1)
    empty = counter.comment(message(1))
    assert feedback_writes([empty], lambda _d: DIRECTORY, lambda b: VoteFacts()) == []

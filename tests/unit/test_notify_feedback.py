"""The feedback view's documents (services/notify/feedback.py): one per counted vote with a comment or a
praise text, a later comment attached to its vote, replays writing the same document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.notify.feedback import TAGGER_FIELDS, FeedbackWrite, VoteFacts, feedback_writes
from shared.events import BALLOT_COMMENT, BALLOT_VOTE, BallotEvent
from shared.praise import PraiseDirectory

VOTED = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
DIRECTORY = PraiseDirectory.build(people={"นก": ["นก"]})


def vote(vote_id: str, score: int = 5, comment: str = "", staff: str | None = None, decision: str = "counted",
         channel: str = "qr", service: str | None = "id_card") -> BallotEvent:
    return BallotEvent(vote_id=vote_id, district_code="3706", kind=BALLOT_VOTE, decision=decision, day="2026-12-05",
                       score=score, comment=comment, submitted_at=VOTED, channel=channel, service=service,
                       staff=staff, received_at=VOTED + timedelta(seconds=2),
                       comment_at=VOTED + timedelta(seconds=2) if comment else None)


def later_comment(vote_id: str, text: str, score: int = 5, minutes: int = 3) -> BallotEvent:
    return BallotEvent(vote_id=vote_id, district_code="3706", kind=BALLOT_COMMENT, decision="counted",
                       day="2026-12-05", score=score, comment=text, submitted_at=VOTED, channel="line",
                       comment_at=VOTED + timedelta(minutes=minutes))


class Documents:
    """An in-memory stand-in of FeedbackStore.apply: `$set` always, `$setOnInsert` on a new document."""

    def __init__(self):
        self.docs: dict[str, dict] = {}

    def apply(self, writes: list[FeedbackWrite]) -> None:
        for write in writes:
            doc = self.docs.get(write.vote_id)
            if doc is None:
                doc = self.docs[write.vote_id] = {"_id": write.vote_id, **write.on_insert}
            doc.update(write.sets)


def run(ballots, facts=None) -> Documents:
    docs = Documents()
    docs.apply(feedback_writes(ballots, lambda _d: DIRECTORY, lambda b: (facts or {}).get(b.vote_id, VoteFacts())))
    return docs


def test_only_counted_votes_with_a_comment_or_praise_have_a_document():
    docs = run([vote("a"), vote("b", comment="ช้ามาก", score=1), vote("c", staff="พี่นก"),
                vote("d", comment="ดี", decision="flagged"), vote("e", comment="ซ้ำ", decision="repeat")])
    assert set(docs.docs) == {"b", "c"}
    b = docs.docs["b"]
    assert (b["district"], b["day"], b["dday"], b["score"], b["service"], b["channel"]) == (
        "3706", "2026-12-05", "3706:2026-12-05", 1, "id_card", "qr")
    assert b["comment"] == "ช้ามาก" and b["at"] == VOTED + timedelta(seconds=2) and b["praise"] is None
    assert not any(name in b for name in TAGGER_FIELDS)


def test_praise_is_read_by_the_normaliser_and_not_counted_in_a_low_vote():
    docs = run([vote("c", staff="พี่นก งานบัตร"), vote("low", score=2, staff="พี่นก"), vote("u", staff="ขอบคุณค่ะ")])
    assert docs.docs["c"]["praise"] == {"text": "พี่นก งานบัตร", "kind": "person", "unit_id": "id_card",
                                        "person_key": "นก"}
    assert docs.docs["c"]["praise_counted"] is True
    assert docs.docs["low"]["praise_counted"] is False
    assert docs.docs["u"]["praise"]["kind"] == "unknown" and docs.docs["u"]["praise_counted"] is False


def test_a_later_comment_attaches_to_its_vote_in_the_same_batch():
    docs = run([vote("a", channel="line", service="civil_registration"), later_comment("a", "รอนาน")])
    doc = docs.docs["a"]
    assert (doc["comment"], doc["comment_channel"], doc["channel"], doc["service"]) == (
        "รอนาน", "line", "line", "civil_registration")
    assert doc["at"] == VOTED + timedelta(minutes=3)


def test_a_later_comment_takes_its_vote_from_the_facts_when_the_vote_came_earlier():
    facts = {"a": VoteFacts("licences", "line", VOTED)}
    doc = run([later_comment("a", "ขอบคุณ")], facts).docs["a"]
    assert (doc["service"], doc["channel"], doc["received_at"], doc["comment"]) == ("licences", "line", VOTED,
                                                                                   "ขอบคุณ")


def test_replays_write_the_same_document():
    ballots = [vote("p", staff="พี่นก"), later_comment("p", "เร็วดี"), vote("q", comment="ก่อน"),
               later_comment("q", "หลัง")]
    docs = run(ballots)
    once = {k: dict(v) for k, v in docs.docs.items()}
    docs.apply(feedback_writes(ballots, lambda _d: DIRECTORY, lambda b: VoteFacts()))
    assert docs.docs == once
    assert once["p"]["comment"] == "เร็วดี" and once["p"]["praise"]["person_key"] == "นก"
    assert once["q"]["comment"] == "หลัง"


def test_a_replayed_praise_vote_keeps_its_later_comment():
    docs = run([vote("p", staff="พี่นก"), later_comment("p", "เร็วดี")])
    docs.apply(feedback_writes([vote("p", staff="พี่นก")], lambda _d: DIRECTORY, lambda b: VoteFacts()))
    assert docs.docs["p"]["comment"] == "เร็วดี"


def test_sets_and_inserts_never_name_the_same_field():
    for write in feedback_writes([vote("a", staff="นก"), vote("b", comment="x"), later_comment("c", "y")],
                                 lambda _d: DIRECTORY, lambda b: VoteFacts()):
        assert not set(write.sets) & set(write.on_insert)  # MongoDB refuses such an update

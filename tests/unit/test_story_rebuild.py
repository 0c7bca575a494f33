"""The stories' replay (services/notify/stories/rebuild.py) and the centre's log-then-apply decisions
(decisions.py), with an in-memory store: log order decides, a decision read twice is applied once, a
withdrawal is terminal, and the public copy is reconciled so nothing withdrawn or unconsented is public."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from services.notify.stories.decisions import Moderation
from services.notify.stories.moderation import APPROVED, GONE, NEW, REJECTED, Refused
from services.notify.stories.publisher import PublishFailed
from services.notify.stories.rebuild import StoriesReplay, last_published, reconcile
from shared.events import PublishedStoryEvent, StoryDecisionEvent, StoryEvent, decode
from tests.support.fakes import Clock
from tests.support.story_fakes import MemoryStoryProducer, MemoryStoryStore

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
STORIES, DECISIONS, PUBLISHED = "stories.v1", "stories.decisions.v1", "stories.published.v1"
A, B = "a" * 32, "b" * 32


def told(story_id: str, publish: bool = True) -> StoryEvent:
    return StoryEvent(story_id, "told", "3706", "qr", NOW, vote_id="v1", text="ต้นฉบับ", publish=publish,
                      credit="initials", credit_name="ส.จ.", consent_version="2026-12-v1")


def gone(story_id: str) -> StoryEvent:
    return StoryEvent(story_id, "withdrawn", "3706", "qr", NOW + timedelta(hours=1))


def decision(n: int, action: str, story_id: str = A, **fields) -> StoryDecisionEvent:
    return StoryDecisionEvent(f"{n:032x}", story_id, "3706", action, "ผู้ตรวจ ก", NOW + timedelta(minutes=n), **fields)


def records(topic: str, *events) -> list[SimpleNamespace]:
    return [SimpleNamespace(topic=topic, partition=0, offset=i, key=e.key, value=e.to_bytes())
            for i, e in enumerate(events)]


def replayed(stories: list, decisions: list) -> tuple[MemoryStoryStore, StoriesReplay]:
    store = MemoryStoryStore()
    replay = StoriesReplay(store, STORIES)
    replay.handle(records(STORIES, *stories))
    replay.handle(records(DECISIONS, *decisions))
    return store, replay


def test_the_decisions_apply_in_log_order():
    edit, approve, reject = decision(1, "edit", text="แก้แล้ว"), decision(2, "approve"), decision(3, "reject", reason="x")
    store, replay = replayed([told(A)], [edit, reject, approve])
    assert (store.get(A).status, store.get(A).edited, store.get(A).reason) == (APPROVED, "แก้แล้ว", "x")
    store, _ = replayed([told(A)], [edit, approve, reject])
    assert store.get(A).status == REJECTED
    assert replay.decisions == replay.decisions_applied == 3


def test_a_decision_read_twice_is_applied_once_in_its_first_place():
    approve, reject = decision(1, "approve"), decision(2, "reject", reason="มีชื่อบุคคลที่สาม")
    store, replay = replayed([told(A), told(A)], [approve, reject, approve])  # a producer's retry, later
    assert store.get(A).status == REJECTED and replay.duplicates == 1 and replay.decisions == 2
    assert sorted(e["action"] for e in store.audit.values()) == ["approve", "reject", "told"]


def test_a_withdrawal_is_terminal_whatever_the_decisions_say():
    shortlist, approve = decision(1, "shortlist", shortlist="film"), decision(2, "approve")
    store, replay = replayed([told(A), gone(A), told(A)], [shortlist, approve, decision(3, "edit", text="กลับมา")])
    story = store.get(A)
    assert (story.status, story.text, story.edited, story.shortlist, story.public) == (GONE, "", None, (), False)
    assert replay.decisions_refused == 3 and replay.decisions_applied == 0
    # live, the same decisions came before the withdrawal: the same document
    live = MemoryStoryStore()
    live.told(told(A))
    for d in (shortlist, approve):
        assert live.apply(d)
    live.withdrawn(gone(A))
    assert live.get(A) == story


def test_an_approval_without_consent_is_refused_by_the_replay_too():
    store, replay = replayed([told(B, publish=False)], [decision(1, "approve", B), decision(2, "shortlist", B,
                                                                                         shortlist="award")])
    assert store.get(B).status == NEW and store.get(B).shortlist == ("award",) and replay.decisions_refused == 1


def test_unreadable_records_are_counted_and_skipped():
    store = MemoryStoryStore()
    replay = StoriesReplay(store, STORIES)
    replay.handle([SimpleNamespace(topic=STORIES, partition=0, offset=0, key=None, value=b"{"),
                   SimpleNamespace(topic=DECISIONS, partition=0, offset=0, key=None, value=b'{"schema": 1}')])
    assert replay.unreadable == 2 and store.stories == {}


def published_copy(story_id: str, text: str = "ต้นฉบับ", status: str = "published") -> PublishedStoryEvent:
    return PublishedStoryEvent(story_id, "3706", status, NOW, text=text if status == "published" else "",
                               credit="ส.จ." if status == "published" else None, told_at=NOW)


def reconciled(store: MemoryStoryStore, *copies: PublishedStoryEvent) -> tuple[list[PublishedStoryEvent], dict]:
    last: dict[str, PublishedStoryEvent] = {}
    last_published(records(PUBLISHED, *copies), last)
    sent: list[PublishedStoryEvent] = []
    summary = reconcile(store, last, sent.append, Clock(NOW))
    return sent, summary


def test_the_public_copy_follows_the_rebuilt_state_and_nothing_unconsented_or_withdrawn_stays_out():
    C, D, E = "c" * 32, "d" * 32, "e" * 32
    store, _ = replayed([told(A), told(B, publish=False), told(C), gone(C), told(D)],
                        [decision(1, "approve", A), decision(2, "approve", C), decision(3, "approve", D)])
    # A approved and out, as the topic says; B never consented but a copy is out; C withdrawn, its copy still
    # out; D approved, its copy never acknowledged; E out with no story in the log
    sent, summary = reconciled(store, published_copy(A), published_copy(B), published_copy(C), published_copy(E))
    assert sorted((e.story_id, e.status) for e in sent) == [(B, "withdrawn"), (C, "withdrawn"), (D, "published"),
                                                            (E, "withdrawn")]
    assert summary == {"published_sent": 1, "withdrawn_sent": 3}
    assert [s.story_id for s in store.all() if s.public] == [A, D]
    again, _ = reconciled(store, published_copy(A), *sent)  # the topic now agrees: nothing more to send
    assert again == []


def test_an_edit_approved_again_replaces_a_stale_public_copy():
    store, _ = replayed([told(A)], [decision(1, "approve"), decision(2, "edit", text="ฉบับแก้"), decision(3, "approve")])
    sent, _ = reconciled(store, published_copy(A, "ต้นฉบับ"))
    assert [(e.status, e.text) for e in sent] == [("published", "ฉบับแก้")]


def moderation(store: MemoryStoryStore, producer: MemoryStoryProducer) -> Moderation:
    return Moderation(store, producer, decisions_topic=DECISIONS, published_topic=PUBLISHED, clock=Clock(NOW))


@pytest.mark.parametrize("action", ["edit", "approve", "reject", "shortlist"])
def test_a_decision_kafka_does_not_acknowledge_is_not_applied(action):
    store, producer = MemoryStoryStore(), MemoryStoryProducer()
    store.told(told(A))
    producer.fail = True
    call = {"edit": lambda m: m.edit(A, "แก้", "ก"), "approve": lambda m: m.approve(A, "ก"),
            "reject": lambda m: m.reject(A, "เหตุ", "ก"), "shortlist": lambda m: m.shortlist(A, "film", "ก")}[action]
    with pytest.raises(PublishFailed):
        call(moderation(store, producer))
    assert store.get(A) == replayed([told(A)], [])[0].get(A) and list(store.audit) == [f"{A}:told"]


def test_each_decision_is_logged_before_it_is_applied_and_the_log_replays_to_the_same_state():
    store, producer = MemoryStoryStore(), MemoryStoryProducer()
    for s in (told(A), told(B, publish=False)):
        store.told(s)
    m = moderation(store, producer)
    m.edit(A, "แก้ โทร 0812345678", "ก")
    m.approve(A, "ก")
    m.shortlist(B, "film", "ข")
    with pytest.raises(Refused):
        m.approve(B, "ข")  # refused by the rules: nothing logged
    m.reject(A, "ไม่เหมาะ", "ข")
    logged = [decode(StoryDecisionEvent, e.to_bytes()) for t, e in producer.sent if t == DECISIONS]
    assert [d.action for d in logged] == ["edit", "approve", "shortlist", "reject"]
    assert "0812345678" not in logged[0].text  # redacted before it is logged
    assert [e.status for t, e in producer.sent if t == PUBLISHED] == ["published", "withdrawn"]
    rebuilt, _ = replayed([told(A), told(B, publish=False)], logged)
    assert rebuilt.stories == store.stories and rebuilt.audit.keys() == store.audit.keys()


def test_a_public_copy_kafka_does_not_acknowledge_leaves_the_story_approved_but_not_public():
    store, producer = MemoryStoryStore(), MemoryStoryProducer()
    store.told(told(A))
    m = moderation(store, producer)
    original = producer.publish

    def decisions_only(topic, event):
        if topic == PUBLISHED:
            raise PublishFailed("KafkaTimeoutError")
        original(topic, event)

    producer.publish = decisions_only
    with pytest.raises(PublishFailed):
        m.approve(A, "ก")
    assert (store.get(A).status, store.get(A).public) == (APPROVED, False)
    producer.publish = original
    assert m.approve(A, "ก").public  # approving again sends the copy

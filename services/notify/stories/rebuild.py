"""`sangsuk stories rebuild`: the moderation state rebuilt from the log (issue 21).

Why from the log: a story is acknowledged to the citizen once stories.v1 holds it, and a decision of the
centre once stories.decisions.v1 does (decisions.py logs it before applying it), so the two topics are
the whole record; `notify_stories` and `notify_story_audit` are a view of them. The rebuild reads, from
their start to end offsets frozen together at its start (shared/stream/log_reader.py, no consumer group):

1. stories.v1: every telling (`$setOnInsert`) and withdrawal, through the consumer's own writes;
2. stories.decisions.v1: every decision through `StoryStore.apply`, the live path's conditional write.
   A withdrawal is terminal: replayed first, it makes every later write on the story match nothing, and
   it erases every mark a decision left, so the order live (decision, then withdrawal) and rebuilt
   (withdrawal, then decision) end in the same document. A decision id read twice is applied once;
3. stories.published.v1 (compacted) is read to its end and reconciled: each story's `public` becomes
   whether its last record there is `published`, and where the rebuilt state disagrees with that record
   the rebuild sends the right one: `withdrawn` for a story not approved, withdrawn, without consent, or
   unknown to the store; `published` (the approved text) for an approved, consented story whose public
   copy is missing or stale (an approval whose copy Kafka did not acknowledge). Ranking's public copy
   follows from that topic as always; the chief is not told again.

Safe to run on a live store, and twice: every write is idempotent and the summary says what changed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from services.notify.stories.moderation import may_show, published, withdrawn
from services.notify.stories.store import StoryStore
from shared.events import (
    PUBLISHED,
    STORY_TOLD,
    EventError,
    PublishedStoryEvent,
    StoryDecisionEvent,
    StoryEvent,
    decode,
)
from shared.stream.ports import Record

log = logging.getLogger(__name__)


@dataclass
class StoriesReplay:
    """Folds stories.v1 then stories.decisions.v1 records into the store (each topic in its own pass)."""

    store: StoryStore
    stories_topic: str
    told: int = 0
    withdrawn: int = 0
    decisions: int = 0
    decisions_applied: int = 0
    decisions_refused: int = 0  # on a withdrawn or unknown story, or an approval without consent: as live
    duplicates: int = 0
    unreadable: int = 0
    _seen: set[str] = field(default_factory=set)

    def handle(self, records: Sequence[Record]) -> None:
        for record in records:
            if record.topic == self.stories_topic:
                self._story(record.value)
            else:
                self._decision(record.value)

    def _story(self, raw: bytes | None) -> None:
        try:
            event = decode(StoryEvent, raw)
        except EventError:
            self.unreadable += 1
            return
        if event.kind == STORY_TOLD:
            self.told += 1
            self.store.told(event)
        else:
            self.withdrawn += 1
            self.store.withdrawn(event)

    def _decision(self, raw: bytes | None) -> None:
        try:
            decision = decode(StoryDecisionEvent, raw)
        except EventError:
            self.unreadable += 1
            return
        if decision.decision_id in self._seen:  # a producer's retry: applied once, in its first place
            self.duplicates += 1
            return
        self._seen.add(decision.decision_id)
        self.decisions += 1
        if self.store.apply(decision):
            self.decisions_applied += 1
        else:
            self.decisions_refused += 1


def last_published(records: Sequence[Record], into: dict[str, PublishedStoryEvent]) -> None:
    """The last stories.published.v1 record of each story (log order within a key's partition)."""
    for record in records:
        try:
            event = decode(PublishedStoryEvent, record.value)
        except EventError:
            continue
        into[event.story_id] = event


def reconcile(store: StoryStore, public: dict[str, PublishedStoryEvent],
              send: Callable[[PublishedStoryEvent], None], clock) -> dict[str, int]:
    """Make stories.published.v1's last record of every story agree with the store, and `public` with it."""
    sent_published = sent_withdrawn = 0
    known: set[str] = set()
    for story in store.all():
        known.add(story.story_id)
        last = public.get(story.story_id)
        out = last is not None and last.status == PUBLISHED
        if may_show(story):
            event = published(story, clock())
            if not out or (last.text, last.credit, last.district_code) != (event.text, event.credit,
                                                                           event.district_code):
                send(event)
                sent_published += 1
            out = True
        elif out:
            send(withdrawn(story.story_id, story.district_code, clock()))
            sent_withdrawn += 1
            out = False
        if story.public != out:
            store.set_public(story.story_id, out)
    for story_id, last in public.items():  # public, but no telling in the log any more: out
        if story_id not in known and last.status == PUBLISHED:
            send(withdrawn(story_id, last.district_code, clock()))
            sent_withdrawn += 1
    return {"published_sent": sent_published, "withdrawn_sent": sent_withdrawn}


def rebuild(settings, store: StoryStore, send: Callable[[PublishedStoryEvent], None], clock,
            progress: bool = False) -> dict:
    """Replay stories.v1, then stories.decisions.v1, then reconcile the public copy; a summary."""
    from shared.stream.log_reader import end_offsets, read_log

    started = time.monotonic()
    topics = settings.topics
    ends = end_offsets(settings, [topics.stories, topics.stories_decisions, topics.stories_published])
    only = lambda topic: {tp: end for tp, end in ends.items() if tp[0] == topic}  # noqa: E731
    replay = StoriesReplay(store, topics.stories)
    read_log(settings, only(topics.stories), replay.handle, whole=False, progress=progress)
    read_log(settings, only(topics.stories_decisions), replay.handle, whole=False, progress=progress)
    public: dict[str, PublishedStoryEvent] = {}
    read_log(settings, only(topics.stories_published), lambda records: last_published(records, public),
             whole=False, progress=progress)
    sent = reconcile(store, public, send, clock)
    summary = {"told": replay.told, "withdrawn": replay.withdrawn, "decisions": replay.decisions,
               "decisions_applied": replay.decisions_applied, "decisions_refused": replay.decisions_refused,
               "duplicate_decisions": replay.duplicates, "unreadable_records": replay.unreadable, **sent,
               "seconds": round(time.monotonic() - started, 1)}
    log.info("stories rebuilt", extra=summary)
    return summary

"""Scoring's tick: the rolling windows are refreshed at start, when the Bangkok day or the assigned votes
partitions change, and after the processor forgot its view; otherwise a tick does nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from services.scoring.processor import ScoringProcessor, Windows
from shared.config import Topics
from shared.districts import load_registry
from shared.stream.ports import TopicPartition


class NoStandingsStore:
    """The part of ScoringStore a refresh reads and writes, empty."""

    def __init__(self):
        self.loads = 0

    def load_buckets(self, query: dict) -> list:
        self.loads += 1
        return []

    def load_standings(self, partitions) -> dict:
        return {}

    def save_standings(self, partition: int, standings: dict) -> None:
        raise AssertionError("nothing to save")


class NoOutput:
    def send(self, topic, key, value) -> None:
        raise AssertionError("nothing to publish")

    def dead_letter(self, record, reason) -> None:
        raise AssertionError("no records here")


TOPICS = Topics()
VOTES = [TopicPartition(TOPICS.votes, 0), TopicPartition(TOPICS.votes, 1)]
COMMENTS = TopicPartition(TOPICS.comments, 0)


def processor(store: NoStandingsStore) -> ScoringProcessor:
    return ScoringProcessor(store, load_registry(), NoOutput(), topics=TOPICS, windows=Windows(),
                            clock=lambda: datetime(2026, 11, 21, 5, tzinfo=UTC))


def test_refreshed_once_a_day_and_again_when_the_partitions_change_or_after_forgetting():
    store = NoStandingsStore()
    p = processor(store)
    morning = datetime(2026, 11, 21, 3, tzinfo=UTC)  # 10:00 in Bangkok
    assert p.tick(morning, frozenset(VOTES)) is not None
    assert p.tick(morning.replace(hour=16, minute=59), frozenset(VOTES)) is None  # 23:59 in Bangkok
    assert p.tick(morning.replace(hour=17), frozenset(VOTES)) is not None  # midnight in Bangkok
    assert p.tick(morning.replace(hour=18), frozenset(VOTES[:1])) is not None  # a rebalance took partition 1
    assert p.tick(morning.replace(hour=18), frozenset(VOTES[:1])) is None
    p.forget()
    assert p.tick(morning.replace(hour=18), frozenset(VOTES[:1])) is not None
    # The view is read at start (one keyed read per votes partition: two) and after forgetting (the one
    # partition left); a new day reuses it.
    assert store.loads == 3


def test_no_votes_partition_no_refresh():
    p = processor(NoStandingsStore())
    assert p.tick(datetime(2026, 11, 21, 3, tzinfo=UTC), frozenset()) is None
    assert p.tick(datetime(2026, 11, 21, 3, tzinfo=UTC), frozenset({COMMENTS})) is None

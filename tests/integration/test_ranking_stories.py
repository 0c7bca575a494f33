"""Ranking's published stories on the real store (issue 21): a published record shows in the next view, a
withdrawal takes it out, through the incremental refresh (a `stories` change) as the web process runs it."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from services.ranking.bootstrap import bootstrap
from services.ranking.config import RankingConfig
from shared import mongo
from shared.events import PublishedStoryEvent

NOW = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)


def record(event: PublishedStoryEvent, topic: str) -> SimpleNamespace:
    return SimpleNamespace(topic=topic, value=event.to_bytes(), key=event.key, partition=0, offset=0)


def test_published_then_withdrawn_through_the_views_incremental_refresh(settings):
    ranking = bootstrap(RankingConfig(platform=settings), db=mongo.database(settings), clock=lambda: NOW)
    topic = settings.topics.stories_published
    processor, live = ranking.processor(), ranking.live_boards()
    assert live.view().stories == ()  # the first view: a full read
    processor.handle([record(PublishedStoryEvent("a" * 32, "3706", "published", NOW, text="ประทับใจ", credit="ส.จ."),
                             topic)])
    live.refresh()  # (its background refresher may have been first: either way the view has it)
    assert [s["text"] for s in live.view().stories] == ["ประทับใจ"]
    processor.handle([record(PublishedStoryEvent("a" * 32, "3706", "withdrawn", NOW), topic)])
    live.refresh()
    assert live.view().stories == ()
    assert ranking.store.all_stories() == []

"""What ingest declares to the platform (shared/manifest.py; docs/skeleton.md)."""

from __future__ import annotations

from shared.config import Settings
from shared.manifest import CAMPAIGN_YEAR_MS, ServiceManifest, TopicSpec, acknowledged_config, web


def _topics(settings: Settings) -> list[TopicSpec]:
    t, keep = settings.topics, {"retention.ms": CAMPAIGN_YEAR_MS, **acknowledged_config(settings)}
    return [TopicSpec(t.votes, settings.votes_partitions, keep), TopicSpec(t.comments, settings.votes_partitions, keep),
            TopicSpec(t.stories, settings.votes_partitions, keep)]  # as many: notify's members read both


def _indexes(db) -> None:
    from services.ingest.line.state import MongoConversationStore
    from services.ingest.line.story_steps import MongoStorySteps
    from shared.claims import MongoClaimStore, MongoRateLimiter

    MongoClaimStore(db.ingest_claims).ensure_indexes()
    MongoConversationStore(db.line_conversations).ensure_indexes()
    MongoStorySteps(db.line_story_steps).ensure_indexes()
    MongoRateLimiter(db.ingest_rate, limit_per_minute=0).ensure_indexes()
    # ingest_stories: `_id` only; the per-IP window of votes is in each process (services/ingest/ratelimit.py)


MANIFEST = ServiceManifest(
    name="ingest",
    processes={"web": web("services.ingest.wsgi:app")},
    port=8081,
    public=True,  # votes, QR pages, the LINE webhook: behind the buffering proxy (docs/ingest.md)
    topics=_topics,
    prepare_store=_indexes,
    metrics_prefix="ingest_",
)

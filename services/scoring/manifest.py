"""What scoring declares to the platform (shared/manifest.py; docs/skeleton.md)."""

from __future__ import annotations

from argparse import ArgumentParser, Namespace

from shared.config import Settings
from shared.manifest import CAMPAIGN_YEAR_MS, WEEK_MS, Command, ServiceManifest, TopicSpec, web


def _topics(settings: Settings) -> list[TopicSpec]:
    t = settings.topics
    # ballots.v1: keyed by district like votes.v1 (same partition count), kept as long: readers rebuild from it.
    return [TopicSpec(t.scores, 6, {"retention.ms": WEEK_MS}),
            TopicSpec(t.ballots, settings.votes_partitions, {"retention.ms": CAMPAIGN_YEAR_MS}),
            TopicSpec(t.votes_dlq, 3, {"retention.ms": CAMPAIGN_YEAR_MS})]


def _indexes(db) -> None:
    from services.scoring.store import ScoringStore

    ScoringStore(db).ensure_indexes()


def _ballots_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("action", choices=["backfill"], help="backfill: publish the decisions for the whole log")


def _ballots(args: Namespace, settings: Settings) -> int:
    from services.scoring.backfill import run

    return run(args, settings)


MANIFEST = ServiceManifest(
    name="scoring",
    processes={"web": web("services.scoring.wsgi:app"), "consumer": ("-m", "services.scoring.consumer")},
    port=8082,
    state_dir_env="SCORING_STATE_DIR",
    topics=_topics,
    prepare_store=_indexes,
    metrics_prefix="scoring_",
    commands={"ballots": Command("ballots.v1: `backfill` publishes scoring's decisions for the whole log (once, "
                                 "when moving a running platform)", _ballots_arguments, _ballots)},
)

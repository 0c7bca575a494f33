"""What notify declares to the platform (shared/manifest.py; docs/skeleton.md): a web process (the
chief's page, the centre's API), a consumer (decides), a dispatcher (sends), `sangsuk directory`."""

from __future__ import annotations

from argparse import REMAINDER, ArgumentParser, Namespace

from shared.config import Settings
from shared.manifest import CAMPAIGN_YEAR_MS, Command, ServiceManifest, TopicSpec, acknowledged_config, web


def _topics(settings: Settings) -> list[TopicSpec]:
    """stories.published.v1: compacted, keyed by story id; the last record of a story is what the public sees.
    stories.decisions.v1: the centre's decisions, kept a campaign year like stories.v1 (every record, not the
    last per key: a rebuild replays them all), with as many partitions (both keyed by story id)."""
    t = settings.topics
    return [TopicSpec(t.stories_published, 6, {"cleanup.policy": "compact", **acknowledged_config(settings)}),
            TopicSpec(t.stories_decisions, settings.votes_partitions,
                      {"retention.ms": CAMPAIGN_YEAR_MS, **acknowledged_config(settings)})]


def _indexes(db) -> None:
    from services.notify.feedback_store import FeedbackStore
    from services.notify.inbox_access import InboxAccess
    from services.notify.sessions import CentreSessions
    from services.notify.store import NotifyStore
    from services.notify.stories.store import StoryStore
    from services.notify.tally_store import TallyStore

    NotifyStore(db).ensure_indexes()
    StoryStore(db).ensure_indexes()
    FeedbackStore(db.notify_feedback).ensure_indexes()
    TallyStore(db.notify_tally).ensure_indexes()
    InboxAccess("", "", db.notify_inbox_used, db.notify_inbox_signouts).ensure_indexes()
    CentreSessions("", db.notify_centre_signouts).ensure_indexes()


def _directory_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("rest", nargs=REMAINDER, help="load FILE | export | dev [--out FILE]")


def _directory(args: Namespace, settings: Settings) -> int:
    from services.notify.cli import main

    return main(args.rest, settings)


def _topics_arguments(parser: ArgumentParser) -> None:
    from shared.topics import cli

    actions = cli.add_arguments(parser)
    retag = actions.add_parser("retag", help="re-tag every counted comment of the feedback view from ballots.v1 "
                                             "with this tagger's version (counts untouched)")
    retag.add_argument("--quiet", action="store_true", help="no progress bar")


def _topics_run(args: Namespace, settings: Settings) -> int:
    from shared.topics import cli

    if args.topics_action != "retag":
        return cli.run(args)
    import json

    from services.notify.retag import retag
    from shared import mongo
    from shared.topics import default_tagger

    summary = retag(settings, mongo.database(settings).notify_feedback, default_tagger(), progress=not args.quiet)
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def _digest_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("rest", nargs=REMAINDER, help="preview --district CODE [--out DIR]")


def _digest(args: Namespace, settings: Settings) -> int:
    from services.notify.digest_preview import main

    return main(args.rest)


def _stories_arguments(parser: ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="stories_action", required=True)
    rebuild = actions.add_parser("rebuild", help="rebuild the moderation store from stories.v1 and "
                                                 "stories.decisions.v1, and reconcile stories.published.v1")
    rebuild.add_argument("--quiet", action="store_true", help="no progress bar")


def _stories(args: Namespace, settings: Settings) -> int:
    import json

    from services.notify.stories.publisher import StoryProducer
    from services.notify.stories.rebuild import rebuild
    from services.notify.stories.store import StoryStore
    from shared import kafka, mongo
    from shared.timeutil import utcnow

    kafka.ensure_topics(settings)  # a deploy older than stories.decisions.v1 gets it (idempotent)
    producer = StoryProducer(lambda: kafka.make_producer(settings, client_id="notify-stories-rebuild"))
    store = StoryStore(mongo.database(settings))
    store.ensure_indexes()  # the collections may have been lost with their indexes
    summary = rebuild(settings, store,
                      lambda event: producer.publish(settings.topics.stories_published, event), utcnow,
                      progress=not args.quiet)
    print(json.dumps(summary, ensure_ascii=False))
    return 0


MANIFEST = ServiceManifest(
    name="notify",
    processes={"web": web("services.notify.wsgi:app"), "consumer": ("-m", "services.notify.consumer"),
               "dispatcher": ("-m", "services.notify.dispatch")},
    port=8084,
    state_dir_env="NOTIFY_STATE_DIR",
    topics=_topics,
    prepare_store=_indexes,
    metrics_prefix="notify_",
    commands={"directory": Command("notify's directory of chiefs, deputies and governors: load FILE, export, dev",
                                   _directory_arguments, _directory),
              # The comment topic tagger (shared/topics, docs/topics.md): the feedback view keeps its tags.
              "topics": Command("tag Thai comments with service aspects and polarity (JSON lines), evaluate the "
                                "tagger, or re-tag the feedback view from the ballots log", _topics_arguments,
                                _topics_run),
              "stories": Command("the stories of service: rebuild the centre's moderation state from the log",
                                 _stories_arguments, _stories),
              "digest": Command("the chief's weekly digest: preview --district CODE (written, not sent)",
                                _digest_arguments, _digest)},
)

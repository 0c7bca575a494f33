"""What notify declares to the platform (shared/manifest.py; docs/skeleton.md): a web process (the
chief's page, the centre's API), a consumer (decides), a dispatcher (sends), `sangsuk directory`."""

from __future__ import annotations

from argparse import REMAINDER, ArgumentParser, Namespace

from shared.config import Settings
from shared.manifest import Command, ServiceManifest, TopicSpec, acknowledged_config, web


def _topics(settings: Settings) -> list[TopicSpec]:
    """stories.published.v1: compacted, keyed by story id; the last record of a story is what the public sees."""
    return [TopicSpec(settings.topics.stories_published, 6, {"cleanup.policy": "compact",
                                                                    **acknowledged_config(settings)})]


def _indexes(db) -> None:
    from services.notify.feedback_store import FeedbackStore
    from services.notify.inbox_access import InboxAccess
    from services.notify.sessions import CentreSessions
    from services.notify.store import NotifyStore
    from services.notify.stories.store import StoryStore

    NotifyStore(db).ensure_indexes()
    FeedbackStore(db.notify_feedback).ensure_indexes()
    InboxAccess("", "", db.notify_inbox_used, db.notify_inbox_signouts).ensure_indexes()
    StoryStore(db).ensure_indexes()
    CentreSessions("", db.notify_centre_signouts).ensure_indexes()


def _directory_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("rest", nargs=REMAINDER, help="load FILE | export | dev [--out FILE]")


def _directory(args: Namespace, settings: Settings) -> int:
    from services.notify.cli import main

    return main(args.rest, settings)


def _digest_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("rest", nargs=REMAINDER, help="preview --district CODE [--out DIR]")


def _digest(args: Namespace, settings: Settings) -> int:
    from services.notify.digest_preview import main

    return main(args.rest)


MANIFEST = ServiceManifest(
    name="notify",
    processes={"web": web("services.notify.wsgi:app"), "consumer": ("-m", "services.notify.consumer"),
               "dispatcher": ("-m", "services.notify.dispatch")},
    port=8084,
    state_dir_env="NOTIFY_STATE_DIR",
    topics=_topics,
    prepare_store=_indexes,
    metrics_prefix="notify_",
    commands={"directory": Command("notify's directory of chiefs and governors: load FILE, export, dev",
                                   _directory_arguments, _directory),
              "digest": Command("the chief's weekly digest: preview --district CODE (written, not sent)",
                                _digest_arguments, _digest)},
)

"""Notify's composition root: the web app, the consumer, the dispatcher, the CLI and the tests all
build their parts here, once, from a `NotifyConfig`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pymongo.database import Database
from pymongo.errors import PyMongoError

from services.notify.actions import AlertActions
from services.notify.config import NotifyConfig
from services.notify.dispatcher import Dispatcher, RetryPolicy
from services.notify.feedback_store import FeedbackStore
from services.notify.inbox_access import InboxAccess
from services.notify.links import AlertLinks
from services.notify.notifier import Notifier
from services.notify.policy import Policy, load_policy
from services.notify.praise_store import PraiseDirectories
from services.notify.processor import NotifyProcessor
from services.notify.sessions import CentreSessions
from services.notify.store import NotifyStore
from services.notify.tally_store import TallyStore
from services.notify.transports import Transport
from shared import kafka, mongo
from shared.config import Settings, require
from shared.districts import Registry, load_registry
from shared.stream.heartbeat import Heartbeat, consumer_ready
from shared.stream.loop import ConsumerLoop
from shared.timeutil import utcnow
from shared.web import ReadinessCheck

if TYPE_CHECKING:
    from services.notify.digest import WeeklyDigest

log = logging.getLogger(__name__)


def build_transports(config: NotifyConfig) -> tuple[dict[str, Transport], dict[str, str]]:
    """The transports that can work, and why the others are off (shown at /readyz and logged)."""
    transports: dict[str, Transport] = {}
    off: dict[str, str] = {}
    if config.line_access_token:
        from services.notify.transports.line import LineTransport

        transports["line"] = LineTransport(config.line_access_token, config.line_api_host)
    else:
        off["line"] = "LINE_CHANNEL_ACCESS_TOKEN is not set: LINE messages are not sent"
    if config.smtp_host:
        from services.notify.transports.mail import EmailTransport

        transports["email"] = EmailTransport(config.smtp_host, config.smtp_port, config.smtp_from,
                                             username=config.smtp_username, password=config.smtp_password,
                                             starttls=config.smtp_starttls)
    else:
        off["email"] = "SMTP_HOST is not set: e-mails are not sent"
    from services.notify.transports.webhook import WebhookTransport

    transports["webhook"] = WebhookTransport(allow_private=config.webhook_allow_private)
    return transports, off


@dataclass
class Notify:
    config: NotifyConfig
    registry: Registry
    policy: Policy
    store: NotifyStore
    links: AlertLinks
    transports: dict[str, Transport]
    transports_off: dict[str, str]
    clock: Callable[[], datetime]

    @property
    def feedback(self) -> FeedbackStore:
        """The feedback view (one document per counted vote with a comment or praise): feedback.py."""
        db = self.store.db
        return FeedbackStore(db.notify_feedback, db.notify_feedback_latest, db.notify_praise_days)

    @property
    def praise(self) -> PraiseDirectories:
        """Each district's praise directory as its chief merged and renamed it (praise_store.py)."""
        return PraiseDirectories(self.store.db.notify_praise)

    def inbox_access(self) -> InboxAccess:
        """The inbox's links and sessions (inbox_access.py), beside notify's other collections."""
        return InboxAccess(self.config.link_secret, self.config.public_url, self.store.db.notify_inbox_used,
                           self.store.db.notify_inbox_signouts, entry_max_age_s=self.config.link_max_age_s)

    @property
    def tally(self) -> TallyStore:
        """Every decided vote per district day, kept for the centre's reports: tally_store.py."""
        return TallyStore(self.store.db.notify_tally)

    @property
    def notifier(self) -> Notifier:
        return Notifier(self.store, self.registry, self.links, frozenset(self.transports), self.inbox_access())

    @property
    def story_store(self):
        from services.notify.stories.store import StoryStore

        return StoryStore(self.store.db)

    def moderation(self):
        """The centre's story decisions: logged to stories.decisions.v1, then applied; the public copy to
        stories.published.v1 (services/notify/stories/)."""
        from services.notify.stories.chief import tell_chief
        from services.notify.stories.decisions import Moderation
        from services.notify.stories.publisher import StoryProducer

        settings = self.config.platform
        producer = StoryProducer(lambda: kafka.make_producer(settings, client_id="notify-stories"))
        return Moderation(self.story_store, producer, decisions_topic=settings.topics.stories_decisions,
                          published_topic=settings.topics.stories_published, clock=self.clock,
                          on_published=lambda story, now: tell_chief(self.notifier, story, now))

    def processor(self, digest=None, sink=None) -> NotifyProcessor:
        if digest is None:
            digest = self.digest()
        from shared.topics import default_tagger

        processor = NotifyProcessor(self.store, self.registry, self.policy, self.notifier, self.clock, digest,
                                    feedback=self.feedback, praise_directory=self.praise.cached,
                                    tagger=default_tagger(), tally=self.tally)
        processor.draft_grace = timedelta(seconds=self.config.draft_grace_s)
        if sink is not None:
            from services.notify.stories.processor import StoriesProcessor

            topics = self.config.platform.topics
            processor.stories = StoriesProcessor(self.story_store, sink.send, topics.stories_published, self.clock)
            processor.stories_topic = topics.stories
        return processor

    def digest(self) -> WeeklyDigest:
        """The weekly digest with the week's praise, comments and inbox link; rank from the public board."""
        from services.notify.digest import WeeklyDigest
        from services.notify.ranks import RankingClient

        return WeeklyDigest(self.store, self.registry, self.policy, self.notifier.outbox, frozenset(self.transports),
                            RankingClient(self.config.ranking_url), self.feedback, self.praise, self.inbox_access())

    def consumer_loop(self) -> ConsumerLoop:
        """One member of the notify group: ballots.v1 (scoring's decisions) and stories.v1 in; withdrawals out to
        stories.published.v1 (messages go to the outbox)."""
        from services.notify import metrics
        from shared.stream.kafka_port import kafka_loop

        settings = self.config.platform
        kafka.ensure_topics(settings)
        return kafka_loop("notify", settings, self.config.stream,
                          topics=[settings.topics.ballots, settings.topics.stories], dlq_topic=None,
                          make_processor=lambda sink: self.processor(sink=sink), retry_on=(PyMongoError,),
                          clock=self.clock, observe=metrics.observe)

    def readiness(self) -> dict[str, ReadinessCheck]:
        settings, stream = self.config.platform, self.config.stream
        return {"store": lambda: mongo.store_reachable(settings),
                "consumer": lambda: consumer_ready(stream.state_dir, stream.heartbeat_stale_s)}

    def transports_state(self) -> dict:
        """Which transports are on, and why the others are off: /readyz shows it."""
        return {"transports": {name: "on" for name in self.transports}
                | {name: f"off: {why}" for name, why in self.transports_off.items()}}

    def web_context(self) -> WebContext:
        return WebContext(self, AlertActions(self.store, self.registry, self.clock), self.centre_sessions(),
                          self.inbox_access(), self.feedback, self.praise, self.moderation())

    def centre_sessions(self) -> CentreSessions:
        """The centre's browser sessions, with their sign-outs beside notify's other collections."""
        return CentreSessions(self.config.link_secret, self.store.db.notify_centre_signouts)

    def dispatcher(self) -> Dispatcher:
        return Dispatcher(self.store, self.transports, self.clock,
                          RetryPolicy(max_attempts=self.config.max_attempts, base_s=self.config.retry_base_s),
                          heartbeat=Heartbeat(self.config.stream.state_dir, process="dispatcher"))


@dataclass
class WebContext:
    """What the web process's handlers read (`app.extensions["notify"]`)."""

    notify: Notify
    actions: AlertActions
    sessions: CentreSessions
    inbox_access: InboxAccess
    feedback: FeedbackStore
    praise: PraiseDirectories
    stories: object = None  # services.notify.stories.decisions.Moderation

    @property
    def links(self) -> AlertLinks:
        return self.notify.links


def bootstrap(config: NotifyConfig | None = None, *, db: Database | None = None,
              clock: Callable[[], datetime] = utcnow, transports: dict[str, Transport] | None = None) -> Notify:
    """A setting missing or unreadable stops it with `shared.config.MissingSetting`, as every service's bootstrap."""
    config = config or NotifyConfig.from_env()
    require(config.link_secret, "NOTIFY_LINK_SECRET", "links to the chief's page need a signing secret "
            "(set NOTIFY_LINK_SECRET or NOTIFY_LINK_SECRET_FILE)")
    settings = config.platform
    registry = load_registry(settings.size_groups_csv)
    built, off = build_transports(config)
    if transports is not None:
        built = transports
        off = {k: v for k, v in off.items() if k not in transports}
    for name, reason in off.items():
        log.warning("transport off", extra={"transport": name, "reason": reason})
    store = NotifyStore(db if db is not None else mongo.database(settings))
    return Notify(config, registry, load_policy(config.rules_file), store,
                  AlertLinks(config.link_secret, config.public_url, max_age_s=config.link_max_age_s), built, off, clock)


def directory_parts(settings: Settings | None = None, *, db: Database | None = None) -> tuple[Registry, NotifyStore]:
    """What `sangsuk directory` needs: the registry and the store (loading a CSV needs no link secret or transport)."""
    settings = settings or Settings.from_env()
    registry = load_registry(settings.size_groups_csv)
    return registry, NotifyStore(db if db is not None else mongo.database(settings))

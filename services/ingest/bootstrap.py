"""Ingest's composition root: the web process (wsgi.py), the tests and the tools build ingest here.

`bootstrap()` reads the secrets, opens the stores and the Kafka publishers, and builds the intake
(one call for every channel) and the LINE handler; `create_app(ingest)` (app.py) only wires Flask;
wsgi.py starts the expiry thread (`start_expiry`), which tests leave off. Every part can be handed
in (tests pass in-memory stand-ins of our interfaces, tests/support/fakes.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pymongo.errors import PyMongoError

from services.channels.config import ChannelsConfig
from services.ingest.auth import ChannelKeys
from services.ingest.config import IngestConfig
from services.ingest.intake import VoteIntake
from services.ingest.line.praise_units import MongoPraiseUnits, PraiseUnits, StaticPraiseUnits
from services.ingest.line.state import ConversationStore, MongoConversationStore
from services.ingest.line.story_steps import MongoStorySteps, StorySteps
from services.ingest.marks import GroupMarks
from services.ingest.pages.device import DeviceSigner
from services.ingest.publisher import EventPublisher, KafkaEventPublisher
from services.ingest.ratelimit import LocalRateLimiter
from services.ingest.stories.desk import StoryDesk
from services.ingest.stories.register import MongoStoryRegister, StoryRegister
from services.ingest.stories.tickets import VoteTickets
from services.ingest.takes import GroupTakes
from shared import kafka, mongo
from shared.claims import ClaimStore, MongoClaimStore, MongoRateLimiter, RateLimiter
from shared.config import require
from shared.districts import Registry, load_registry
from shared.line import LineCredentials
from shared.pdpa import keyed_hash
from shared.secrets import read_secret
from shared.timeutil import utcnow
from shared.web import ReadinessCheck

log = logging.getLogger(__name__)


@dataclass
class Ingest:
    """Everything ingest's request handlers and background work need, built once per process."""

    config: IngestConfig
    channels: ChannelsConfig
    keys: ChannelKeys
    registry: Registry
    intake: VoteIntake
    device_signer: DeviceSigner
    readiness: dict[str, ReadinessCheck]
    line_handler: object | None = None  # services.ingest.line.handler.LineHandler when LINE is configured
    line_secret: str | None = None
    stories: StoryDesk | None = None  # stories of service with consent (issue 21)
    vote_tickets: VoteTickets | None = None  # the QR thank-you page's signed link to its vote
    expiring: list = field(default_factory=list)  # stores with expire(now): FerretDB has no TTL indexes
    clock: Callable[[], datetime] = utcnow

    def start_expiry(self) -> threading.Thread:
        """Expire claims, rate windows and conversations every `expire_every_s`."""

        def run() -> None:
            while True:
                time.sleep(self.config.expire_every_s)
                now = self.clock()
                for store in self.expiring:
                    try:
                        store.expire(now)
                    except PyMongoError as exc:
                        log.warning("expiry failed", extra={"error": repr(exc)})

        thread = threading.Thread(target=run, name="ingest-expiry", daemon=True)
        thread.start()
        return thread


def bootstrap(config: IngestConfig | None = None, *, channels: ChannelsConfig | None = None,
              keys: ChannelKeys | None = None, voter_secret: bytes | None = None,
              claims: ClaimStore | None = None, limiter: RateLimiter | None = None,
              publisher: EventPublisher | None = None, comment_publisher: EventPublisher | None = None,
              conversations: ConversationStore | None = None,
              story_publisher: EventPublisher | None = None, story_register: StoryRegister | None = None,
              story_limiter: RateLimiter | None = None, story_steps: StorySteps | None = None,
              praise_units: PraiseUnits | None = None,
              readiness: dict[str, ReadinessCheck] | None = None, clock: Callable[[], datetime] = utcnow) -> Ingest:
    """A setting missing or unreadable stops it with `shared.config.MissingSetting`, as every service's bootstrap."""
    config = config or IngestConfig.from_env()
    channels = channels or ChannelsConfig.from_env()
    # QR codes and public links must never follow a request's Host header
    require(channels.public_base_url, "PUBLIC_BASE_URL",
            "QR codes and public links are built from it (e.g. https://amphoesangsook.com)")
    settings = config.platform
    registry = load_registry(settings.size_groups_csv)
    keys = keys or ChannelKeys.from_json(read_secret("CHANNEL_KEYS"))
    voter_secret = voter_secret or read_secret("VOTER_HMAC_SECRET").encode()
    stores = (claims, conversations, story_register, story_limiter, story_steps)
    db = mongo.database(settings) if any(store is None for store in stores) else None
    # Claims taken and marked in groups: a round trip carries every request waiting for it (docs/ingest.md).
    claims = claims or GroupTakes(GroupMarks(MongoClaimStore(db.ingest_claims), clock))
    limiter = limiter or LocalRateLimiter(config.ip_limit_per_minute)  # per process: no round trip per vote
    conversations = conversations or MongoConversationStore(db.line_conversations)
    story_register = story_register or MongoStoryRegister(db.ingest_stories)
    story_limiter = story_limiter or MongoRateLimiter(db.ingest_rate, config.story_withdrawals_per_minute)
    story_steps = story_steps or MongoStorySteps(db.line_story_steps)
    if publisher is None:
        publisher = KafkaEventPublisher(
            lambda: kafka.make_producer(settings, client_id="ingest", publish_timeout_s=config.publish_timeout_s),
            settings.topics.votes, config.publish_timeout_s)
    comment_publisher = comment_publisher or _beside(publisher, config, settings.topics.comments, "comment")
    story_publisher = story_publisher or _beside(publisher, config, settings.topics.stories, "story")
    if readiness is None:
        readiness = {"kafka": lambda: kafka.kafka_reachable(settings),
                     "store": lambda: mongo.store_reachable(settings)}
    intake = VoteIntake(claims, publisher, voter_secret=voter_secret, clock=clock, registry=registry, config=config,
                        limiter=limiter)
    signer = DeviceSigner(_derived_secret("QR_COOKIE_SECRET", voter_secret, "qr-device-cookie"))
    ingest = Ingest(config, channels, keys, registry, intake, signer, readiness,
                    expiring=[claims, limiter, story_limiter, conversations, story_steps], clock=clock)
    ingest.stories = StoryDesk(story_publisher, story_register, story_limiter,
                               secret=_derived_secret("STORY_CODE_SECRET", voter_secret, "story-code"), clock=clock)
    ingest.vote_tickets = VoteTickets(_derived_secret("QR_COOKIE_SECRET", voter_secret, "qr-device-cookie"))
    # The units the LINE praise question offers: notify's per-district list, read-only (praise_units.py).
    if praise_units is None:
        praise_units = MongoPraiseUnits(db.notify_praise) if db is not None else StaticPraiseUnits()
    _with_line(ingest, conversations, comment_publisher, voter_secret, story_steps, praise_units)
    return ingest


def _beside(votes: EventPublisher, config: IngestConfig, topic: str, event: str) -> KafkaEventPublisher:
    """A publisher of another topic sharing the votes' producer when there is one (comments.v1, stories.v1)."""
    producer = (lambda: votes.producer) if isinstance(votes, KafkaEventPublisher) else (
        lambda: kafka.make_producer(config.platform, client_id=f"ingest-{event}s",
                                    publish_timeout_s=config.publish_timeout_s))
    return KafkaEventPublisher(producer, topic, config.publish_timeout_s, event=event)


def _with_line(ingest: Ingest, conversations: ConversationStore, comment_publisher: EventPublisher,
               voter_secret: bytes, story_steps: StorySteps, praise_units: PraiseUnits) -> None:
    """The LINE handler, when the channel's credentials are set (the SDK takes a second to import)."""
    credentials = LineCredentials.from_env()
    if credentials is None:
        return
    from services.ingest.line.conversation import Rules
    from services.ingest.line.handler import LineHandler
    from services.ingest.line.praise_step import LinePraise
    from services.ingest.line.sdk import LineReplier
    from services.ingest.line.story import LineStories
    from shared.line import LineMessaging

    channels = ingest.channels
    rules = Rules(ingest.registry, comment_window=timedelta(minutes=channels.line_comment_window_min),
                  postback_max_age=timedelta(hours=channels.line_postback_max_age_h))
    replier = LineReplier(LineMessaging(credentials.access_token, channels.line_api_host))
    praise = LinePraise(conversations, comment_publisher, praise_units, rules.matcher)
    ingest.line_handler = LineHandler(rules, ingest.intake, conversations, comment_publisher, replier,
                                      voter_secret, ingest.clock, LineStories(ingest.stories, story_steps), praise)
    ingest.line_secret = credentials.channel_secret


def _derived_secret(name: str, voter_secret: bytes, purpose: str) -> bytes:
    """A secret of its own when configured, else one derived from the voter secret (one less to manage)."""
    own = read_secret(name, required=False)
    return own.encode() if own else keyed_hash(voter_secret, "derived", purpose).encode()

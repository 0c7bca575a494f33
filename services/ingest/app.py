"""Application factory for the ingest service."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, jsonify
from pymongo.errors import PyMongoError

from services.channels.config import ChannelsConfig
from services.ingest.api import bp as votes_bp
from services.ingest.auth import ChannelKeys
from services.ingest.claims import ClaimStore, MongoClaimStore, MongoRateLimiter, RateLimiter
from services.ingest.config import IngestConfig
from services.ingest.counters import MongoVoteCounters, VoteCounters
from services.ingest.intake import VoteIntake
from services.ingest.line import webhook as line_webhook
from services.ingest.line.state import ConversationStore, MongoConversationStore
from services.ingest.openapi import build_spec
from services.ingest.pages import views as pages
from services.ingest.pages.device import DeviceSigner
from services.ingest.publisher import EventPublisher, KafkaEventPublisher
from shared import kafka, mongo
from shared.districts import Registry, load_registry
from shared.logs import configure_logging
from shared.pdpa import keyed_hash
from shared.secrets import read_secret
from shared.timeutil import utcnow
from shared.web import create_service_app

log = logging.getLogger(__name__)


@dataclass
class IngestContext:
    """What the request handlers need, built once per process."""

    config: IngestConfig
    keys: ChannelKeys
    registry: Registry
    intake: VoteIntake


def create_app(config: IngestConfig | None = None, *, keys: ChannelKeys | None = None,
               voter_secret: bytes | None = None, claims: ClaimStore | None = None,
               limiter: RateLimiter | None = None, publisher: EventPublisher | None = None,
               clock=utcnow, readiness: dict | None = None, expire_in_background: bool = True,
               conversations: ConversationStore | None = None, comment_publisher: EventPublisher | None = None,
               channels: ChannelsConfig | None = None, counters: VoteCounters | None = None) -> Flask:
    config = config or IngestConfig.from_env()
    channels = channels or ChannelsConfig.from_env()
    if not channels.public_base_url:  # QR codes and public links must never follow a request's Host header
        raise SystemExit("PUBLIC_BASE_URL is required (e.g. https://amphoesangsook.com): QR codes and public "
                         "links are built from it")
    settings = config.platform
    configure_logging("ingest", settings.log_level)
    keys = keys or ChannelKeys.from_json(read_secret("CHANNEL_KEYS"))
    voter_secret = voter_secret or read_secret("VOTER_HMAC_SECRET").encode()
    stores = (claims, limiter, conversations, counters)
    db = mongo.database(settings) if any(store is None for store in stores) else None
    if claims is None:
        claims = MongoClaimStore(db.ingest_claims)
    if limiter is None:
        limiter = MongoRateLimiter(db.ingest_rate, config.ip_limit_per_minute)
    if publisher is None:
        publisher = KafkaEventPublisher(
            lambda: kafka.make_producer(settings, client_id="ingest", publish_timeout_s=config.publish_timeout_s),
            settings.topics.votes, config.publish_timeout_s)
    if conversations is None:
        conversations = MongoConversationStore(db.line_conversations)
    if counters is None:
        counters = MongoVoteCounters(db.ingest_counters)
    if comment_publisher is None:  # comments.v1 shares the votes' producer when there is one
        producer = (lambda: publisher.producer) if isinstance(publisher, KafkaEventPublisher) else (
            lambda: kafka.make_producer(settings, client_id="ingest-comments",
                                        publish_timeout_s=config.publish_timeout_s))
        comment_publisher = KafkaEventPublisher(producer, settings.topics.comments, config.publish_timeout_s,
                                                event="comment")
    if readiness is None:
        readiness = {"kafka": lambda: kafka.kafka_reachable(settings),
                     "store": lambda: mongo.store_reachable(settings)}

    app = create_service_app("ingest", readiness=readiness, trusted_proxy_hops=config.trusted_proxy_hops)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    registry = load_registry(settings.size_groups_csv)
    intake = VoteIntake(claims, publisher, voter_secret=voter_secret, clock=clock, registry=registry, config=config,
                        limiter=limiter, counters=counters)
    app.extensions["ingest"] = IngestContext(config, keys, registry, intake)
    app.register_blueprint(votes_bp)
    pages.install(app, channels, DeviceSigner(_derived_secret("QR_COOKIE_SECRET", voter_secret, "qr-device-cookie")))
    line_secret = read_secret("LINE_CHANNEL_SECRET", required=False)
    line_token = read_secret("LINE_CHANNEL_ACCESS_TOKEN", required=False)
    line_handler = None
    if line_secret and line_token:  # the SDK takes a second to import: only when LINE is configured
        from services.ingest.line.conversation import Rules
        from services.ingest.line.handler import LineHandler
        from services.ingest.line.sdk import LineReplier
        from shared.line import LineMessaging

        rules = Rules(app.extensions["ingest"].registry,
                      comment_window=timedelta(minutes=channels.line_comment_window_min),
                      postback_max_age=timedelta(hours=channels.line_postback_max_age_h))
        line_handler = LineHandler(rules, intake, conversations, comment_publisher,
                                   LineReplier(LineMessaging(line_token, channels.line_api_host)), voter_secret, clock)
    line_webhook.install(app, line_handler, line_secret)
    spec = build_spec()

    @app.get("/openapi.json")
    def openapi():
        return jsonify(spec)

    if expire_in_background:
        _start_expiry(config.expire_every_s, [claims, limiter, conversations, counters], clock)
    return app


def _derived_secret(name: str, voter_secret: bytes, purpose: str) -> bytes:
    """A secret of its own when configured, else one derived from the voter secret (one less to manage)."""
    own = read_secret(name, required=False)
    return own.encode() if own else keyed_hash(voter_secret, "derived", purpose).encode()


def _start_expiry(every_s: float, stores: list, clock) -> None:
    """Expire claims and rate windows periodically (FerretDB has no TTL indexes)."""

    def run() -> None:
        while True:
            time.sleep(every_s)
            now: datetime = clock()
            for store in stores:
                try:
                    store.expire(now)
                except PyMongoError as exc:
                    log.warning("expiry failed", extra={"error": repr(exc)})

    threading.Thread(target=run, name="ingest-expiry", daemon=True).start()

"""The ranking web process's Flask app (port 8083). Wiring is bootstrap.py's."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, jsonify

from services.ranking.api import bp as ranking_bp
from services.ranking.auth import CentralOfficeKeys
from services.ranking.bootstrap import Ranking
from services.ranking.exports_api import bp as exports_bp
from services.ranking.live import LiveBoards
from services.ranking.openapi import build_spec
from services.ranking.site import views as site
from services.ranking.store import RankingStore
from shared import mongo
from shared.districts import Registry
from shared.secrets import MissingSecret, read_secret
from shared.stream.heartbeat import consumer_ready
from shared.web import create_service_app

log = logging.getLogger(__name__)


@dataclass
class RankingContext:
    registry: Registry
    provinces: frozenset[str]
    store: RankingStore
    live: LiveBoards
    exports_keys: CentralOfficeKeys


def channel_keys() -> str | None:
    """Voting channels' keys, only to answer 403 (not 401) when one is sent to an export route.

    Optional here: ranking does not authenticate channels, so a missing or unreadable CHANNEL_KEYS(_FILE)
    must not stop the service (the exports then answer 401 for a channel's key too).
    """
    try:
        return read_secret("CHANNEL_KEYS", required=False)
    except MissingSecret as exc:
        log.warning("channel keys unreadable; a channel key at the export routes gets 401, not 403",
                    extra={"error": str(exc)})
        return None


def create_app(ranking: Ranking) -> Flask:
    config = ranking.config
    settings, stream = config.platform, config.stream
    readiness = {"store": lambda: mongo.store_reachable(settings),
                 "consumer": lambda: consumer_ready(stream.state_dir, stream.heartbeat_stale_s)}
    app = create_service_app("ranking", readiness=readiness, extra_metrics_dirs=(str(stream.metrics_dir),),
                             consumer_state_dir=stream.state_dir)
    keys = CentralOfficeKeys(config.central_office_keys, channel_keys())
    app.extensions["ranking"] = RankingContext(ranking.registry, frozenset(d.province_code for d in ranking.registry),
                                               ranking.store, ranking.live_boards(), keys)
    app.register_blueprint(ranking_bp)
    app.register_blueprint(exports_bp)
    live = app.extensions["ranking"].live
    site.install(app, config.public_base_url, site.Staleness(
        lambda: consumer_ready(stream.state_dir, stream.heartbeat_stale_s), live.age_s))
    spec = build_spec()

    @app.get("/openapi.json")
    def openapi():
        return jsonify(spec)

    return app

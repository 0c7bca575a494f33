"""Application factory for the ranking web process (port 8083)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, jsonify

from services.ranking.api import bp as ranking_bp
from services.ranking.auth import CentralOfficeKeys
from services.ranking.config import RankingConfig
from services.ranking.exports_api import bp as exports_bp
from services.ranking.live import LiveBoards
from services.ranking.openapi import build_spec
from services.ranking.store import RankingStore
from shared import mongo
from shared.districts import Registry, load_registry
from shared.logs import configure_logging
from shared.secrets import read_secret
from shared.timeutil import utcnow
from shared.web import create_service_app


@dataclass
class RankingContext:
    registry: Registry
    provinces: frozenset[str]
    store: RankingStore
    live: LiveBoards
    exports_keys: CentralOfficeKeys


def create_app(config: RankingConfig | None = None, *, store: RankingStore | None = None) -> Flask:
    config = config or RankingConfig.from_env()
    settings = config.platform
    configure_logging("ranking", settings.log_level)
    store = store or RankingStore(mongo.database(settings))
    registry = load_registry(settings.size_groups_csv)
    live = LiveBoards(store, registry, config.formula, clock=utcnow, interval_s=config.reload_interval_s)
    readiness = {"store": lambda: mongo.store_reachable(settings)}
    app = create_service_app("ranking", readiness=readiness, extra_metrics_dirs=(str(config.metrics_dir),))
    keys = CentralOfficeKeys(config.central_office_keys, read_secret("CHANNEL_KEYS", required=False))
    app.extensions["ranking"] = RankingContext(registry, frozenset(d.province_code for d in registry), store, live,
                                               keys)
    app.register_blueprint(ranking_bp)
    app.register_blueprint(exports_bp)
    spec = build_spec()

    @app.get("/openapi.json")
    def openapi():
        return jsonify(spec)

    return app

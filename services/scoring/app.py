"""Application factory for the scoring web process (port 8082): health, readiness, metrics, scores."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from services.scoring.api import bp as scores_bp
from services.scoring.config import ScoringConfig
from services.scoring.handler import Windows
from services.scoring.store import ScoringStore
from shared import mongo
from shared.districts import Registry, load_registry
from shared.logs import configure_logging
from shared.web import create_service_app


@dataclass
class ScoringContext:
    registry: Registry
    store: ScoringStore
    windows: Windows


def consumer_ready(state_dir: Path, stale_s: float) -> bool:
    """The freshest consumer heartbeat is recent and says it reaches the store."""
    newest: dict | None = None
    for path in state_dir.glob("consumer-*.json"):
        try:
            beat = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if newest is None or beat["ts"] > newest["ts"]:
            newest = beat
    return newest is not None and newest["ready"] and time.time() - newest["ts"] < stale_s


def create_app(config: ScoringConfig | None = None) -> Flask:
    config = config or ScoringConfig.from_env()
    settings = config.platform
    configure_logging("scoring", settings.log_level)
    readiness = {"store": lambda: mongo.store_reachable(settings),
                 "consumer": lambda: consumer_ready(config.state_dir, config.heartbeat_stale_s)}
    app = create_service_app("scoring", readiness=readiness, extra_metrics_dirs=(str(config.metrics_dir),))
    app.extensions["scoring"] = ScoringContext(load_registry(settings.size_groups_csv),
                                               ScoringStore(mongo.database(settings)),
                                               Windows(config.campaign_start, config.campaign_end))
    app.register_blueprint(scores_bp)
    return app

"""The scoring web process's Flask app (port 8082): health, readiness, metrics, scores. Wiring is bootstrap.py's."""

from __future__ import annotations

from flask import Flask

from services.scoring.api import bp as scores_bp
from services.scoring.bootstrap import Scoring
from shared import mongo
from shared.stream.heartbeat import consumer_ready
from shared.web import create_service_app


def create_app(scoring: Scoring) -> Flask:
    settings, stream = scoring.config.platform, scoring.config.stream
    readiness = {"store": lambda: mongo.store_reachable(settings),
                 "consumer": lambda: consumer_ready(stream.state_dir, stream.heartbeat_stale_s)}
    app = create_service_app("scoring", readiness=readiness, extra_metrics_dirs=(str(stream.metrics_dir),),
                             consumer_state_dir=stream.state_dir)
    app.extensions["scoring"] = scoring
    app.register_blueprint(scores_bp)
    return app

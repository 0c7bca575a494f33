"""The ranking web process's Flask app (port 8083): routes only; its parts come from bootstrap.py."""

from __future__ import annotations

from flask import Flask, jsonify

from services.ranking.api import bp as ranking_bp
from services.ranking.bootstrap import Ranking
from services.ranking.exports_api import bp as exports_bp
from services.ranking.openapi import build_spec
from services.ranking.site import views as site
from shared.web import create_service_app


def create_app(ranking: Ranking) -> Flask:
    config = ranking.config
    stream = config.stream
    app = create_service_app("ranking", readiness=ranking.readiness(), extra_metrics_dirs=(str(stream.metrics_dir),),
                             consumer_state_dir=stream.state_dir)
    context = app.extensions["ranking"] = ranking.web_context()
    app.register_blueprint(ranking_bp)
    app.register_blueprint(exports_bp)
    site.install(app, config.public_base_url, site.Staleness(ranking.consumer_alive, context.live.age_s))
    spec = build_spec()

    @app.get("/openapi.json")
    def openapi():
        return jsonify(spec)

    return app

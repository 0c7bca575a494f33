"""The ingest web process's Flask app: the votes API, the QR pages, the LINE webhook, OpenAPI.

Only Flask wiring: what the routes use is built by bootstrap.py.
"""

from __future__ import annotations

from flask import Flask, jsonify

from services.ingest.api import bp as votes_bp
from services.ingest.bootstrap import Ingest
from services.ingest.line import webhook as line_webhook
from services.ingest.openapi import build_spec
from services.ingest.pages import views as pages
from services.ingest.stories import pages as story_pages  # noqa: F401 (its routes join the pages' blueprint)
from shared.web import create_service_app


def create_app(ingest: Ingest) -> Flask:
    config = ingest.config
    app = create_service_app("ingest", readiness=ingest.readiness, trusted_proxy_hops=config.trusted_proxy_hops)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.extensions["ingest"] = ingest
    app.register_blueprint(votes_bp)
    pages.install(app, ingest.channels, ingest.device_signer)
    line_webhook.install(app, ingest.line_handler, ingest.line_secret)
    spec = build_spec()

    @app.get("/openapi.json")
    def openapi():
        return jsonify(spec)

    return app

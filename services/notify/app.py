"""Application factory for notify's web process (port 8084): the chief's page, the centre's API,
health, readiness (with which transports are off, and why) and metrics."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from services.notify.actions import AlertActions
from services.notify.bootstrap import Notify
from services.notify.links import Links
from services.notify.sessions import CentreSessions
from shared import mongo
from shared.stream.heartbeat import consumer_ready
from shared.web import create_service_app


@dataclass
class WebContext:
    notify: Notify
    actions: AlertActions
    sessions: CentreSessions

    @property
    def links(self) -> Links:
        return self.notify.links


def create_app(notify: Notify) -> Flask:
    settings, stream = notify.config.platform, notify.config.stream
    app = create_service_app(
        "notify", readiness={"store": lambda: mongo.store_reachable(settings),
                             "consumer": lambda: consumer_ready(stream.state_dir, stream.heartbeat_stale_s)},
        extra_metrics_dirs=(str(stream.metrics_dir),),
        consumer_state_dir=stream.state_dir, consumer_processes=("consumer", "dispatcher"),
        readiness_detail=lambda: {"transports": {name: "on" for name in notify.transports}
                                  | {name: f"off: {why}" for name, why in notify.transports_off.items()}})
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.extensions["notify"] = WebContext(notify, AlertActions(notify.store, notify.registry, notify.clock),
                                          notify.centre_sessions())
    from services.notify.centre import bp as centre_bp
    from services.notify.centre_pages import bp as centre_pages_bp
    from services.notify.pages import bp as pages_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(centre_bp)
    app.register_blueprint(centre_pages_bp)
    return app

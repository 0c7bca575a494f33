"""Application factory for notify's web process (port 8084): the chief's page, the centre's API,
health, readiness (with which transports are off, and why) and metrics. Routes only: the parts come
from bootstrap.py."""

from __future__ import annotations

from flask import Flask

from services.notify.bootstrap import Notify
from shared.web import create_service_app


def create_app(notify: Notify) -> Flask:
    stream = notify.config.stream
    app = create_service_app(
        "notify", readiness=notify.readiness(), extra_metrics_dirs=(str(stream.metrics_dir),),
        consumer_state_dir=stream.state_dir, consumer_processes=("consumer", "dispatcher"),
        readiness_detail=notify.transports_state)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.extensions["notify"] = notify.web_context()
    from services.notify.centre import bp as centre_bp
    from services.notify.centre_feedback_api import bp as centre_feedback_bp
    from services.notify.centre_feedback_pages import bp as centre_feedback_pages_bp
    from services.notify.centre_pages import bp as centre_pages_bp
    from services.notify.inbox_pages import bp as inbox_pages_bp
    from services.notify.pages import bp as pages_bp
    from services.notify.stories import api as _stories_api  # noqa: F401 (its routes join the centre's blueprint)
    from services.notify.stories import pages as _stories_pages  # noqa: F401 (and the centre's pages)

    app.register_blueprint(pages_bp)
    app.register_blueprint(centre_bp)
    app.register_blueprint(centre_feedback_bp)
    app.register_blueprint(centre_pages_bp)
    app.register_blueprint(centre_feedback_pages_bp)
    app.register_blueprint(inbox_pages_bp)
    return app

"""Gunicorn entry point: `gunicorn -c python:shared.gunicorn_conf services.notify.wsgi:app`.

The consumer (`python -m services.notify.consumer`) decides; the dispatcher
(`python -m services.notify.dispatch`) sends. Each runs as its own process.
"""

from services.notify.app import create_app
from services.notify.bootstrap import bootstrap
from services.notify.config import NotifyConfig
from shared.logs import configure_logging

config = NotifyConfig.from_env()
configure_logging("notify", config.platform.log_level)
app = create_app(bootstrap(config))

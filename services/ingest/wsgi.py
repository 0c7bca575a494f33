"""Gunicorn entry point: `gunicorn -c python:shared.gunicorn_conf services.ingest.wsgi:app`."""

from services.ingest.app import create_app
from services.ingest.bootstrap import bootstrap
from services.ingest.config import IngestConfig
from shared.logs import configure_logging

config = IngestConfig.from_env()
configure_logging("ingest", config.platform.log_level)
ingest = bootstrap(config)
ingest.start_expiry()
app = create_app(ingest)

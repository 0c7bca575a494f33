"""Gunicorn entry point: `gunicorn -c python:shared.gunicorn_conf services.scoring.wsgi:app`.

The consumer runs as its own process: `python -m services.scoring.consumer`.
"""

from services.scoring.app import create_app
from services.scoring.bootstrap import bootstrap
from services.scoring.config import ScoringConfig
from shared.logs import configure_logging

config = ScoringConfig.from_env()
configure_logging("scoring", config.platform.log_level)
app = create_app(bootstrap(config))

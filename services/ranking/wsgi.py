"""Gunicorn entry point: `gunicorn -c python:shared.gunicorn_conf services.ranking.wsgi:app`.

The consumer runs as its own process: `python -m services.ranking.consumer`.
"""

from services.ranking.app import create_app
from services.ranking.bootstrap import bootstrap
from services.ranking.config import RankingConfig
from shared.logs import configure_logging

config = RankingConfig.from_env()
configure_logging("ranking", config.platform.log_level)
app = create_app(bootstrap(config))

"""Gunicorn entry point: `gunicorn -c python:shared.gunicorn_conf services.scoring.wsgi:app`.

The consumer runs as its own process: `python -m services.scoring.consumer`.
"""

from services.scoring.app import create_app

app = create_app()

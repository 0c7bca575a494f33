"""Gunicorn entry point: `gunicorn -c python:shared.gunicorn_conf services.ranking.wsgi:app`."""

from services.ranking.app import create_app

app = create_app()

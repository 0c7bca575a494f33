"""Gunicorn entry point: `gunicorn -c python:shared.gunicorn_conf services.ingest.wsgi:app`."""

from services.ingest.app import create_app

app = create_app()

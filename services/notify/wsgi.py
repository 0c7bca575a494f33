"""Gunicorn entry point: `gunicorn -c python:shared.gunicorn_conf services.notify.wsgi:app`."""

from services.notify.app import create_app

app = create_app()

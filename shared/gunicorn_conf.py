"""Gunicorn settings shared by every service: `gunicorn -c python:shared.gunicorn_conf …`.

Threads let one worker wait on several Kafka acknowledgements at once, so the producer batches.
"""

from __future__ import annotations

import os
import shutil
import tempfile

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8080')}")
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "16"))
worker_class = "gthread"
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
accesslog = None  # requests are counted in /metrics; per-request lines would only add noise
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Several services share a host locally, and pods have read-only root filesystems.
control_socket_disable = True
# Gunicorn's own lines as JSON too, like the services' (shared.logs).
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "shared.logs.JsonFormatter", "service": "gunicorn"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
    "loggers": {"gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False}},
}
# Bound the header sizes; bodies are bounded by each app (413).
limit_request_line = 8190
limit_request_fields = 100


def on_starting(server) -> None:
    """Fresh multiprocess metric files for this master; stale ones would double-count."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        directory = tempfile.mkdtemp(prefix="sangsuk-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

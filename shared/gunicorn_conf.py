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
logger_class = "shared.gunicorn_logger.NoAccessLogger"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Several services share a host locally, and pods have read-only root filesystems.
control_socket_disable = True
# Gunicorn's own lines as JSON too, like the services' (shared.logs).
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "shared.logs.JsonFormatter", "service": "gunicorn"}},
    "filters": {"addresses": {"()": "shared.logs.RedactAddresses"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout",
                             "filters": ["addresses"]}},
    "loggers": {"gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False}},
}
# Bound the header sizes; bodies are bounded by each app (413).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

_ERROR_CODES = {400: "bad_request", 403: "forbidden", 414: "uri_too_long", 417: "expectation_failed",
                431: "header_fields_too_large", 501: "not_implemented", 500: "internal_error"}


def _write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """Gunicorn's own refusals (414, 431, a bad request line…) in the platform's JSON error shape.

    A request line with raw non-ASCII bytes (Thai typed or pasted into a URL by a client that does not
    percent-encode) reaches gunicorn's message decoded as Latin-1: quoting it back gave the reader mojibake
    ("à¸«à¸±…"). Such a line gets its own error, which says what to do and quotes nothing."""
    import json

    from gunicorn.util import write_nonblock

    error, message = _ERROR_CODES.get(status_int, "bad_request"), (mesg or reason)[:300]
    if status_int == 400 and any(ord(ch) > 0x7F for ch in str(mesg)):
        error = "url_not_encoded"
        message = ("the URL holds characters that are not percent-encoded (Thai, for one): encode them as UTF-8 "
                   "percent-escapes, as browsers do (หัวตะพาน → %E0%B8%AB%E0%B8%B1%E0%B8%A7…) / URL มีอักขระที่ไม่ได้"
                   "เข้ารหัส กรุณาเข้ารหัสแบบ percent-encoding (UTF-8)")
    body = json.dumps({"error": error, "message": message}, ensure_ascii=False).encode("utf-8")
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8"
            f"\r\nContent-Length: {len(body)}\r\n\r\n").encode("latin-1")
    write_nonblock(sock, head + body)


def _install_json_errors() -> None:
    from gunicorn import util

    util.write_error = _write_json_error  # gunicorn's workers call util.write_error for these answers


_install_json_errors()


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

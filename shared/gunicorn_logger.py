"""Gunicorn's logger without the access log, which the services do not keep (shared/gunicorn_conf.py).

With `logconfig_dict` set, gunicorn's `access()` still built every request's access-log fields and a
log record nobody writes, `accesslog = None` notwithstanding: about 5 % of an ingest vote's CPU in
issue 24's profile, on every request of every service.
"""

from __future__ import annotations

from gunicorn.glogging import Logger


class NoAccessLogger(Logger):
    def access(self, resp, req, environ, request_time) -> None:
        return None

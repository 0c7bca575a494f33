"""The Flask scaffolding every service shares: request ids, JSON errors, health, readiness, metrics."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from shared import metrics
from shared.errors import ApiError
from shared.logs import request_id_var

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], bool]

_HTTP_ERROR_CODES = {
    400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
    415: "unsupported_media_type", 429: "rate_limited",
}


def create_service_app(service: str, *, readiness: dict[str, ReadinessCheck] | None = None,
                       trusted_proxy_hops: int = 0, extra_metrics_dirs: tuple[str, ...] = (),
                       readiness_detail: Callable[[], dict] | None = None) -> Flask:
    """A Flask app with the platform's cross-cutting behaviour; services add their blueprints.

    `readiness_detail` adds a `detail` object to /readyz (e.g. a transport that is off, and why).
    """
    app = Flask(service)
    app.config["SERVICE_NAME"] = service
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    if trusted_proxy_hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted_proxy_hops, x_proto=trusted_proxy_hops)
    checks = dict(readiness or {})

    @app.before_request
    def start_request() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        g.request_token = request_id_var.set(g.request_id)
        g.started = time.perf_counter()

    @app.after_request
    def finish_request(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        route = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        metrics.HTTP_REQUESTS.labels(service, route, request.method, str(response.status_code)).inc()
        metrics.HTTP_LATENCY.labels(service, route, request.method).observe(elapsed)
        return response

    @app.teardown_request
    def clear_request(_exc: BaseException | None) -> None:
        token = g.pop("request_token", None)
        if token is not None:
            request_id_var.reset(token)

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return jsonify(exc.body()), exc.status, exc.headers

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        message = exc.description or exc.name
        if code == 413:
            message = f"the body is larger than {(request.max_content_length or 0) // 1024} KiB"
        body = {"error": _HTTP_ERROR_CODES.get(code, exc.name.lower().replace(" ", "_")), "message": message}
        return jsonify(body), code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error")
        return jsonify({"error": "internal_error", "message": "unexpected error; it has been logged",
                        "request_id": g.get("request_id")}), 500

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok", "service": service})

    @app.get("/readyz")
    def readyz():
        results = {name: bool(check()) for name, check in checks.items()}
        ready = all(results.values())
        body = {"ready": ready, "checks": results}
        if readiness_detail is not None:
            body["detail"] = readiness_detail()
        return jsonify(body), 200 if ready else 503

    @app.get("/metrics")
    def metrics_endpoint():
        payload, content_type = metrics.render(extra_metrics_dirs)
        return Response(payload, content_type=content_type)

    return app

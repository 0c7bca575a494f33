"""The Flask scaffolding every service shares: request ids, JSON errors, health, readiness, metrics."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from shared import metrics
from shared.errors import ApiError
from shared.logs import request_id_var
from shared.stream.heartbeat import HeartbeatCollector

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], bool]
READINESS_REFRESH_S = 3.0

# Methods a metric's label may name; any other method a client invents is counted as "other" (one series,
# not one per name sent).
_METHOD_LABELS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})

_HTTP_ERROR_CODES = {
    400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
    415: "unsupported_media_type", 429: "rate_limited",
}


def create_service_app(service: str, *, readiness: dict[str, ReadinessCheck] | None = None,
                       trusted_proxy_hops: int = 0, extra_metrics_dirs: tuple[str, ...] = (),
                       readiness_detail: Callable[[], dict] | None = None,
                       consumer_state_dir: Path | None = None,
                       consumer_processes: tuple[str, ...] = ("consumer",)) -> Flask:
    """A Flask app with the platform's cross-cutting behaviour; services add their blueprints.

    `readiness_detail` adds a `detail` object to /readyz (e.g. a transport that is off, and why).
    `consumer_state_dir`: the service's consumer (and any of `consumer_processes`) leaves its heartbeat
    there; /metrics then serves its age, so Prometheus sees a dead one (its own gauges outlive it in the
    multiprocess files).
    """
    app = Flask(service)
    app.config["SERVICE_NAME"] = service
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    if trusted_proxy_hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted_proxy_hops, x_proto=trusted_proxy_hops)
    checks = CachedReadiness(dict(readiness or {}))
    collectors = () if consumer_state_dir is None else (HeartbeatCollector(service, consumer_state_dir,
                                                                                consumer_processes),)

    @app.before_request
    def start_request() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        g.request_token = request_id_var.set(g.request_id)
        g.started = time.perf_counter()

    @app.after_request
    def finish_request(response: Response) -> Response:
        if not drain_unread_body():
            response.headers["Connection"] = "close"
        response.headers["X-Request-ID"] = g.get("request_id", "")
        # Every answer, API errors quoting a client's input included, is read as the type it declares.
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        route = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        method = request.method if request.method in _METHOD_LABELS else "other"
        metrics.HTTP_REQUESTS.labels(service, route, method, str(response.status_code)).inc()
        metrics.HTTP_LATENCY.labels(service, route, method).observe(elapsed)
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
        # Keep what the exception says in headers (Allow on a 405, Retry-After, WWW-Authenticate).
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return jsonify(body), code, headers

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
        results = checks.results()
        ready = all(results.values())
        body = {"ready": ready, "checks": results}
        if readiness_detail is not None:
            body["detail"] = readiness_detail()
        return jsonify(body), 200 if ready else 503

    @app.get("/metrics")
    def metrics_endpoint():
        payload, content_type = metrics.render(extra_metrics_dirs, collectors)
        return Response(payload, content_type=content_type)

    return app


class CachedReadiness:
    """Readiness answered from the last check, refreshed in the background every few seconds.

    A probe (or anyone) calling /readyz often must not open a Kafka admin client per call: that
    raised vote latency from 10 to 300 ms at 110 calls a second. The thread starts on first use,
    i.e. in the serving process after gunicorn forks.
    """

    def __init__(self, checks: dict[str, ReadinessCheck], refresh_s: float = READINESS_REFRESH_S):
        self.checks = checks
        self.refresh_s = refresh_s
        self._results: dict[str, bool] | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def refresh(self) -> dict[str, bool]:
        results = {}
        for name, check in self.checks.items():
            try:
                results[name] = bool(check())
            except Exception:  # a failing check means not ready, never a 500
                results[name] = False
        self.runs += 1
        self._results = results
        return results

    def results(self) -> dict[str, bool]:
        with self._lock:
            if self._thread is None:
                self.refresh()  # the first call waits for one real check
                self._thread = threading.Thread(target=self._loop, name="readiness", daemon=True)
                self._thread.start()
        return dict(self._results or {})

    def _loop(self) -> None:
        while True:
            time.sleep(self.refresh_s)
            self.refresh()


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def has_lone_surrogate(value: object) -> bool:
    """Any text holding a lone UTF-16 surrogate (JSON allows "\\ud800"; no UTF-8 encoder does)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def read_body() -> bytes:
    """The request body, refused with 413 past `request.max_content_length` however it is framed.

    Werkzeug cuts a chunked body at the limit and returns the first part as if it were whole (for
    get_data and for form parsing alike); here the stream is read one byte past the limit to tell.
    Call it before touching request.form or request.get_data.
    """
    limit = request.max_content_length
    if request.content_length is not None or limit is None or not request.environ.get("wsgi.input_terminated"):
        return request.get_data(cache=True)  # Content-Length: Werkzeug refuses an oversize one up front
    stream = request.environ["wsgi.input"]
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(min(65536, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise RequestEntityTooLarge()
    data = b"".join(chunks)
    # From here on the body is an ordinary one of known length, for request.form and get_data too.
    request.environ["wsgi.input"] = io.BytesIO(data)
    request.environ["CONTENT_LENGTH"] = str(len(data))
    return data


DRAIN_MAX_BYTES = 2 * 1024 * 1024  # past the proxy's 1 MiB: a body this service would read anyway, or close


def drain_unread_body() -> bool:
    """Read what the client sent and the view did not (an early 401, 413 or 415), up to DRAIN_MAX_BYTES.

    A connection whose request body was left unread is not safe to reuse: the proxy in front (nginx with
    upstream keepalive) then met a closed connection on its next request and answered 503 where the client
    had earned this 413 or 401. Returns False when more than DRAIN_MAX_BYTES remain: close the connection.
    """
    stream = request.environ.get("wsgi.input")
    if stream is None:
        return True
    declared = request.content_length
    if declared is not None and declared > DRAIN_MAX_BYTES:
        return False
    read = 0
    try:
        while read <= DRAIN_MAX_BYTES:
            chunk = stream.read(65536)
            if not chunk:
                return True
            read += len(chunk)
    except (OSError, ValueError):  # the client went away, or the stream is closed: nothing to reuse
        return False
    return False


def parse_json_body(*, check_text: bool = True, what: str = "the vote") -> object:
    """The request's JSON, or a precise 4xx for every way a client can get it wrong.

    `check_text=False` leaves lone surrogates to the caller, so a batch can refuse only the vote
    that holds one. `what` names the body in the 415's message.
    """
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type",
                       f"send {what} as JSON with 'Content-Type: application/json'")
    raw = read_body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "malformed_json", "the body is not valid UTF-8") from exc
    try:
        body = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as exc:
        raise ApiError(400, "malformed_json",
                       f"the key {json.dumps(str(exc.args[0]))[:80]} appears twice in one object; send each once"
                       ) from exc
    except json.JSONDecodeError as exc:
        raise ApiError(400, "malformed_json",
                       f"the body is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from exc
    except RecursionError as exc:
        raise ApiError(400, "malformed_json", "the body is nested too deeply") from exc
    except ValueError as exc:  # e.g. an integer past Python's 4,300-digit conversion limit
        raise ApiError(400, "malformed_json", f"the body holds a value that cannot be read: {str(exc)[:120]}") from exc
    if check_text and has_lone_surrogate(body):
        raise ApiError(400, "invalid_unicode",
                       "the body holds a lone UTF-16 surrogate (e.g. \\ud800), which is not text; send valid Unicode")
    return body

"""Cached, conditional answers for everything public ranking serves (the JSON API and the site).

Every answer carries an ETag (a hash of its body) and Cache-Control; a request whose If-None-Match holds
that ETag gets 304 with no body. Bodies are kept per view of the boards (`View.bodies`, live.py), so a
repeated read is a dictionary lookup, and a new view (the figures moved) starts empty.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from flask import Response, request

from services.ranking.live import View

CACHED_BODIES = 2048  # per view: every board page, district, badge and data file of a view fits
JSON = "application/json; charset=utf-8"


def etag_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def json_bytes(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def cached(view: View, key: tuple, build: Callable[[], bytes]) -> tuple[bytes, str]:
    """The body for `key` in this view and its ETag, built once (the cache stops growing at CACHED_BODIES)."""
    hit = view.bodies.get(key)
    if hit is None:
        body = build()
        hit = (body, etag_of(body))
        if len(view.bodies) < CACHED_BODIES:
            view.bodies[key] = hit
    return hit


def conditional(body: bytes, etag: str, content_type: str, cache_control: str) -> Response:
    """`body`, or 304 when the client holds it already; either way with its ETag and Cache-Control."""
    response = Response(status=304) if request.if_none_match.contains_weak(etag) else Response(
        body, content_type=_with_charset(content_type))
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache_control
    return response


def _with_charset(content_type: str) -> str:
    """Text is UTF-8, and says so (a JSON or CSV body read as Latin-1 garbles every Thai name)."""
    if "charset=" in content_type or not content_type.startswith(("text/", "application/json", "image/svg")):
        return content_type
    return f"{content_type}; charset=utf-8"

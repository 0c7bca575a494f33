"""Public JSON routes: leaderboards, a district's rank, award snapshots (port 8083).

Every answer carries an ETag and Cache-Control, and a matching If-None-Match gets 304; bodies are cached
per view (responses.py, shared with the site).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Blueprint, Response, current_app, jsonify, request
from pymongo.errors import PyMongoError

from services.ranking import responses
from services.ranking.awards import AWARD_NAME
from services.ranking.domain import GROUPS, WINDOWS, Entry, movement
from services.ranking.live import View
from shared.errors import ApiError

bp = Blueprint("ranking", __name__)


def store_unavailable(exc: PyMongoError):
    """The store does not answer and this process has no view yet (or the route reads the store): 503."""
    return jsonify({"error": "store_unavailable", "message": "the leaderboards cannot be read now: the document "
                    "store does not answer; retry shortly"}), 503, {"Retry-After": "5"}


bp.register_error_handler(PyMongoError, store_unavailable)

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 1000  # the largest group (533) fits in one page
LIVE_CACHE = "public, max-age=2"  # the boards move within seconds of a vote


def ctx():
    return current_app.extensions["ranking"]


def json_response(body: bytes, etag: str, cache_control: str) -> Response:
    return responses.conditional(body, etag, responses.JSON, cache_control)


def cached(view: View, key: tuple, build: Callable[[], dict]) -> tuple[bytes, str]:
    return responses.cached(view, key, lambda: responses.json_bytes(build()))


def check_params(allowed: set[str]) -> None:
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise ApiError(400, "unknown_parameter", f"unknown query parameter {unknown[0]!r}; this route takes "
                       + (", ".join(sorted(allowed)) or "none"), fields={unknown[0]: ["unknown parameter"]})


def window_arg() -> str:
    window = request.args.get("window", "campaign")
    if window not in WINDOWS:
        raise ApiError(400, "unknown_window", f"window must be one of {', '.join(WINDOWS)}, not {window!r}",
                       fields={"window": [f"one of {', '.join(WINDOWS)}"]})
    return window


def int_arg(name: str, default: int, low: int, high: int) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    # The length first: int() of thousands of digits raises (and costs) before any range check could refuse it.
    if not text.isascii() or not text.isdigit() or len(text) > len(str(high)) or not low <= int(text) <= high:
        raise ApiError(400, "invalid_paging", f"{name} must be a whole number from {low} to {high}, not {text!r}",
                       fields={name: [f"a whole number from {low} to {high}"]})
    return int(text)


def entry_json(e: Entry, view: View, group: str, window: str) -> dict:
    d = ctx().registry.get(e.code)
    return {"rank": e.rank, "district_code": e.code, "name_th": d.name_th, "name_en": d.name_en,
            "province_th": d.province_th, "votes": e.votes, "mean": e.mean, "score": e.score,
            "eligible": e.eligible, "votes_needed": e.votes_needed, "sources_needed": e.sources_needed,
            "movement": movement(e.rank, view.previous.get((group, window)), e.code)}


@bp.get("/v1/leaderboards/<group>")
def leaderboard(group: str):
    check_params({"window", "province", "page", "per_page"})
    if group not in GROUPS:
        raise ApiError(404, "unknown_group", f"no size group {group!r}; groups are {', '.join(GROUPS)}")
    window = window_arg()
    province = request.args.get("province")
    if province is not None and province not in ctx().provinces:
        raise ApiError(404, "unknown_province", f"no province with code {province!r} in the programme "
                       "(two digits, e.g. 37 for Amnat Charoen)", fields={"province": ["unknown province code"]})
    page = int_arg("page", 1, 1, 100_000)
    per_page = int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    view = ctx().live.view()

    def build() -> dict:
        entries = view.boards[(group, window)]
        if province is not None:
            entries = [e for e in entries if ctx().registry.get(e.code).province_code == province]
        pages = max(1, -(-len(entries) // per_page))
        if page > pages:
            raise ApiError(400, "invalid_paging", f"page {page} is past the last page ({pages}) of {len(entries)} "
                           f"entries at {per_page} per page", fields={"page": [f"at most {pages}"]})
        chosen = entries[(page - 1) * per_page: page * per_page]
        return {"group": group, "window": window, "formula": view.formula.to_json(), "as_of": view.as_of[group],
                "total": len(entries), "page": page, "per_page": per_page, "pages": pages,
                "entries": [entry_json(e, view, group, window) for e in chosen]}

    body, etag = cached(view, ("board", group, window, province, page, per_page), build)
    return json_response(body, etag, LIVE_CACHE)


@bp.get("/v1/districts/<code>/rank")
def district_rank(code: str):
    check_params(set())
    district = ctx().registry.get(code)
    if district is None:
        raise ApiError(404, "unknown_district", f"no district with code {code!r} in the programme")
    view = ctx().live.view()

    def build() -> dict:
        group = district.size_group
        windows = {}
        for window in WINDOWS:
            e = view.index[(group, window)][code]
            ranked = sum(1 for other in view.boards[(group, window)] if other.rank is not None)
            windows[window] = {"rank": e.rank, "ranked": ranked, "score": e.score, "mean": e.mean, "votes": e.votes,
                               "eligible": e.eligible, "votes_needed": e.votes_needed,
                               "sources_needed": e.sources_needed,
                               "movement": movement(e.rank, view.previous.get((group, window)), code),
                               "history": view.history.get((group, window), {}).get(code, [])}
        return {"district_code": code, "name_th": district.name_th, "name_en": district.name_en,
                "province_th": district.province_th, "group": group, "formula": view.formula.to_json(),
                "as_of": (view.figures.get(code) or {}).get("as_of"), "windows": windows}

    body, etag = cached(view, ("district", code), build)
    return json_response(body, etag, LIVE_CACHE)


@bp.get("/v1/awards/<name>")
def award(name: str):
    check_params(set())
    if not AWARD_NAME.match(name):
        raise ApiError(400, "invalid_award_name", "an award name is 1-64 letters, digits, '.', '_' or '-'")
    doc = ctx().store.award(name)
    if doc is None:
        raise ApiError(404, "unknown_award", f"no award {name!r} has been closed")
    # `withdrawn` beside the snapshot (null, or when and why a mistaken close was withdrawn): the snapshot and its
    # hash never change, the mark may come later, so the answer is not immutable and its ETag follows the mark.
    withdrawn = json.dumps(doc.get("withdrawn"), ensure_ascii=False, sort_keys=True)
    body = ('{"name":' + json.dumps(name) + ',"sha256":"' + doc["sha256"] + '","withdrawn":' + withdrawn
            + ',"snapshot":' + doc["canonical"] + "}").encode("utf-8")
    etag = responses.etag_of((doc["sha256"] + withdrawn).encode("utf-8"))
    return json_response(body, etag, "public, max-age=300")

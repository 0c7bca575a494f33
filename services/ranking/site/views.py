"""The public website's routes: parse and check the request, pick the page builder, cache, answer.

Served by ranking's web process from its in-process view (live.py): a page view never waits on
Kafka, and on the store only in a process that has no view yet. Paths (docs/site.md): `/`,
`/ranking/…` and `/badge/<code>.svg`. Every answer carries an ETag (a hash of the body) and
Cache-Control; a matching If-None-Match gets 304 (responses.py, shared with the API).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes

from flask import Blueprint, Response, current_app, redirect, render_template, request, send_from_directory
from pymongo.errors import PyMongoError

from services.channels import links as channel_links
from services.ranking.domain import GROUPS, WINDOWS
from services.ranking.live import View
from services.ranking.responses import cached, conditional, etag_of
from services.ranking.site import badge, opendata, pages
from services.ranking.site import stories as site_stories
from services.ranking.site.fmt import number, score
from services.ranking.site.search import Province, QueryError, SearchIndex
from services.ranking.site.words import GROUP_NAMES, LANGS, TEXT
from shared.errors import ApiError
from shared.fonts import FONT_DIR

SITE_DIR = Path(__file__).resolve().parent
PAGE_CACHE = "public, max-age=10"  # the figures move within seconds of a vote; a page may lag a little more
BADGE_CACHE = "public, max-age=300"
DATA_CACHE = "public, max-age=60"
STATIC_MAX_AGE = 7 * 86400
MAX_QUERY_BYTES = 4096  # a search of 100 Thai letters is 2,700 bytes percent-encoded; nginx allows 8 KiB
STALE_AFTER_S = 30.0  # the view not confirmed against the store for this long: the note shows too
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

bp = Blueprint("site", __name__, template_folder="templates")


class SiteError(Exception):
    """A request the site refuses, with the reason in both languages; an HTML page or JSON says it."""

    def __init__(self, status: int, error: str, th: str, en: str, *, json_body: bool = False):
        super().__init__(en)
        self.status, self.error, self.message, self.json_body = status, error, {"th": th, "en": en}, json_body


class Staleness:
    """Whether the ranking consumer is down (its heartbeat) or the view has not been confirmed lately.

    Asked at most every `every_s` seconds: the heartbeat is a few files to read.
    """

    def __init__(self, consumer_ready: Callable[[], bool], view_age_s: Callable[[], float], every_s: float = 2.0):
        self._ready, self._age, self._every = consumer_ready, view_age_s, every_s
        self._checked, self._stale = 0.0, False
        self._lock = threading.Lock()

    def stale(self) -> bool:
        now = time.monotonic()
        if now - self._checked >= self._every:
            with self._lock:
                self._stale = not self._ready() or self._age() > STALE_AFTER_S
                self._checked = now
        return self._stale


@dataclass
class SiteContext:
    index: SearchIndex
    provinces: dict[str, Province]
    public_base_url: str | None
    staleness: Staleness


def install(app, public_base_url: str | None, staleness: Staleness) -> None:
    ranking = app.extensions["ranking"]
    index = SearchIndex(ranking.registry)
    app.extensions["site"] = SiteContext(index, index.provinces, public_base_url, staleness)
    app.register_blueprint(bp)


def _ranking():
    return current_app.extensions["ranking"]


def _site() -> SiteContext:
    return current_app.extensions["site"]


# ---------------------------------------------------------------- request checks


def _lang() -> str:
    lang = request.args.get("lang", "th")
    if lang not in LANGS:
        raise SiteError(400, "unknown_lang", f"ภาษา “{lang[:20]}” ไม่มีในเว็บไซต์นี้ ใช้ th หรือ en",
                        f"no language {lang[:20]!r} on this site: use th or en")
    return lang


def _window() -> str:
    window = request.args.get("window", "campaign")
    if window not in WINDOWS:
        raise SiteError(400, "unknown_window", f"ไม่มีช่วงเวลา “{window[:20]}” ใช้ {', '.join(WINDOWS)}",
                        f"window must be one of {', '.join(WINDOWS)}, not {window[:20]!r}")
    return window


def _page() -> int:
    text = request.args.get("page", "1")
    if not (text.isascii() and text.isdigit() and len(text) <= 6 and int(text) >= 1):
        raise SiteError(400, "invalid_paging", f"เลขหน้า “{text[:20]}” ไม่ถูกต้อง ต้องเป็นจำนวนเต็มตั้งแต่ 1",
                        f"page must be a whole number from 1, not {text[:20]!r}")
    return int(text)


def _province_arg() -> str | None:
    code = request.args.get("province") or None
    if code is not None and code not in _site().provinces:
        raise SiteError(404, "unknown_province", f"ไม่มีจังหวัดรหัส “{code[:20]}” ในโครงการ",
                        f"no province with code {code[:20]!r} in the programme (two digits, e.g. 37)")
    return code


def _group(group: str) -> str:
    if group not in GROUPS:
        raise SiteError(404, "unknown_group", f"ไม่มีกลุ่มขนาด “{group[:20]}” ใช้ small, medium หรือ large",
                        f"no size group {group[:20]!r}; groups are {', '.join(GROUPS)}")
    return group


@bp.before_request
def _check_request() -> None:
    if len(request.query_string) > MAX_QUERY_BYTES:
        raise SiteError(414, "query_too_long", f"ที่อยู่เว็บยาวเกินไป (เกิน {MAX_QUERY_BYTES:,} ไบต์)",
                        f"the query string is {len(request.query_string):,} bytes, over {MAX_QUERY_BYTES:,}")
    try:  # Werkzeug keeps undecodable escapes as literal "%ED%A0%80": refuse them here, with the reason
        unquote_to_bytes(request.query_string.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise SiteError(400, "invalid_encoding", "ที่อยู่เว็บมีตัวอักษรที่อ่านไม่ได้ (ไม่ใช่ UTF-8) กรุณาพิมพ์คำค้นใหม่",
                        "the query string is not valid UTF-8 (an undecodable or surrogate byte sequence); "
                        "type the query again") from None


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", PAGE_CACHE)
    return response


@bp.errorhandler(SiteError)
def _site_error(exc: SiteError):
    lang = request.args.get("lang") if request.args.get("lang") in LANGS else "th"
    if exc.json_body:
        return ApiError(exc.status, exc.error, exc.message["en"]).body(), exc.status
    ctx = pages.error(lang, exc.status, exc.error, exc.message[lang], pages.Freshness(None, False))
    return render_template("site/error.html", **ctx), exc.status, {"Cache-Control": "no-store"}


@bp.errorhandler(PyMongoError)
def _store_down(exc: PyMongoError):
    t = "th" if request.args.get("lang") != "en" else "en"
    message = {"th": "ยังอ่านข้อมูลอันดับไม่ได้ กรุณาลองใหม่ในอีกสักครู่",
               "en": "The ranking cannot be read at the moment; please try again shortly."}[t]
    ctx = pages.error(t, 503, "store_unavailable", message, pages.Freshness(None, False))
    return render_template("site/error.html", **ctx), 503, {"Retry-After": "5", "Cache-Control": "no-store"}


# ---------------------------------------------------------------- answers


def _view() -> tuple[View, bool]:
    return _ranking().live.view(), _site().staleness.stale()


def _page_response(key: tuple, build: Callable[[View, pages.Freshness], tuple[str, dict]]) -> Response:
    view, stale = _view()

    def render() -> bytes:
        template, ctx = build(view, pages.freshness_of(view, stale))
        return render_template(template, **ctx).encode("utf-8")

    body, etag = cached(view, ("site", *key, stale), render)
    return conditional(body, etag, "text/html", PAGE_CACHE)


@bp.get("/")
def home():
    lang, window = _lang(), _window()
    registry = _ranking().registry
    return _page_response(("home", lang, window),
                          lambda v, f: ("site/home.html", pages.home(v, registry, lang, window, f)))


@bp.get("/ranking/board/<group>")
def board(group: str):
    lang, group, window, page, province = _lang(), _group(group), _window(), _page(), _province_arg()
    registry, provinces = _ranking().registry, _site().provinces

    def build(view: View, fresh: pages.Freshness):
        try:
            return "site/board.html", pages.board(view, registry, provinces, lang, group, window, page, province, fresh)
        except pages.PageOutOfRange as exc:
            raise SiteError(400, "invalid_paging", f"ไม่มีหน้า {exc.page:,} มีทั้งหมด {exc.pages:,} หน้า",
                            f"page {exc.page:,} is past the last page ({exc.pages:,})") from None

    return _page_response(("board", lang, group, window, page, province), build)


@bp.get("/ranking/district/<code>")
def district(code: str):
    lang = _lang()
    d = _ranking().registry.get(code)
    if d is None:
        raise SiteError(404, "unknown_district",
                        f"ไม่พบอำเภอรหัส “{code[:12]}” ในโครงการ (เขตในกรุงเทพมหานครไม่อยู่ในโครงการ)",
                        f"no district with code {code[:12]!r} in the programme (Bangkok's khet are not in it)")
    base = _site().public_base_url

    def build(view: View, fresh: pages.Freshness):
        vote_url = channel_links.page_url(base, code) if base else f"/d/{code}"
        qr = None
        if base:
            qr = channel_links.qr_svg(vote_url, scale=4, title=TEXT[lang]["qr_alt"].format(
                name=d.name_th if lang == "th" else d.name_en)).decode("utf-8")
        ctx = pages.district(view, d, lang, fresh, vote_url, qr)
        ctx["stories"] = site_stories.cards(view, _ranking().registry, lang, district=code)
        ctx["sw"] = site_stories.WORDS[lang]
        ctx["badge_snippet"] = ctx["badge_snippet"].replace("{base}", base or "")
        return "site/district.html", ctx

    return _page_response(("district", lang, code), build)


@bp.get("/ranking/province/<code>")
def province(code: str):
    lang, window = _lang(), _window()
    if code not in _site().provinces:
        raise SiteError(404, "unknown_province", f"ไม่มีจังหวัดรหัส “{code[:12]}” ในโครงการ",
                        f"no province with code {code[:12]!r} in the programme (two digits, e.g. 37)")
    registry, provinces = _ranking().registry, _site().provinces
    return _page_response(("province", lang, code, window), lambda v, f: (
        "site/province.html", pages.province(v, registry, provinces, lang, code, window, f)))


@bp.get("/ranking/search")
def search():
    lang = _lang()
    raw = request.args.get("q")
    results = None
    if raw is not None:
        try:
            results = _site().index.search(raw)
        except QueryError as exc:
            raise SiteError(400, exc.error, exc.message["th"], exc.message["en"]) from None
        single = results.single
        if single is not None:  # one place by that name: straight to it
            links = pages.SitePaths(lang)
            target = links.province(single.code) if isinstance(single, Province) else links.district(single.code)
            response = redirect(target, code=303)
            response.headers["Cache-Control"] = PAGE_CACHE
            return response
    view, stale = _view()
    ctx = pages.search(results, lang, pages.freshness_of(view, stale))
    body = render_template("site/search.html", **ctx).encode("utf-8")
    return conditional(body, etag_of(body), "text/html", PAGE_CACHE)


@bp.get("/ranking/awards")
def awards():
    lang = _lang()
    registry, base = _ranking().registry, _site().public_base_url
    return _page_response(("awards", lang), lambda v, f: (
        "site/awards.html", pages.awards(v, registry, lang, f, base)))


@bp.get("/ranking/how")
def how():
    lang = _lang()
    return _page_response(("how", lang), lambda v, f: ("site/how.html", pages.how(v, lang, f)))


@bp.get("/ranking/data")
def data():
    lang = _lang()
    return _page_response(("data", lang), lambda v, f: ("site/data.html", pages.data(lang, f)))


@bp.get("/ranking/stories")
def stories():
    lang, province = _lang(), _province_arg()
    group = request.args.get("group") or None
    if group is not None:
        group = _group(group)
    registry = _ranking().registry

    def build(view: View, fresh: pages.Freshness):
        return "site/stories.html", pages.stories(view, registry, _site().provinces, lang, province, group, fresh)

    return _page_response(("stories", lang, province, group), build)


@bp.get("/ranking/data/<group>.<ext>")
def data_file(group: str, ext: str):
    if group == "stories" and ext in ("csv", "json"):
        return _stories_file(ext)
    if group not in GROUPS:
        raise SiteError(404, "unknown_group", "", f"no size group {group[:20]!r}; groups are {', '.join(GROUPS)}",
                        json_body=True)
    if ext not in ("csv", "json"):
        raise SiteError(404, "unknown_format", "", f"no format {ext[:10]!r}: csv or json", json_body=True)
    window = request.args.get("window", "campaign")
    if window not in WINDOWS:
        raise SiteError(400, "unknown_window", "", f"window must be one of {', '.join(WINDOWS)}, not {window[:20]!r}",
                        json_body=True)
    view = _ranking().live.view()
    registry = _ranking().registry
    if ext == "csv":
        body, etag = cached(view, ("data", group, window, "csv"),
                             lambda: opendata.as_csv(view, registry, group, window))
        response = conditional(body, etag, "text/csv", DATA_CACHE)
    else:
        body, etag = cached(view, ("data", group, window, "json"),
                             lambda: opendata.as_json(view, registry, group, window, view.as_of[group]))
        response = conditional(body, etag, "application/json", DATA_CACHE)
    response.headers["Content-Disposition"] = f'inline; filename="amphoe-sang-suk-{group}-{window}.{ext}"'
    return response


def _stories_file(ext: str) -> Response:
    """The published stories as open data, with their licence (CC BY 4.0, as the leaderboards)."""
    view, registry = _ranking().live.view(), _ranking().registry
    make = site_stories.as_csv if ext == "csv" else site_stories.as_json
    body, etag = cached(view, ("data", "stories", ext), lambda: make(view, registry))
    response = conditional(body, etag, "text/csv" if ext == "csv" else "application/json", DATA_CACHE)
    response.headers["Content-Disposition"] = f'inline; filename="amphoe-sang-suk-stories.{ext}"'
    return response


@bp.get("/badge/<code>.svg")
def badge_svg(code: str):
    lang = request.args.get("lang", "th")
    if lang not in LANGS:
        raise SiteError(400, "unknown_lang", "", f"no language {lang[:20]!r}: use th or en", json_body=True)
    d = _ranking().registry.get(code)
    if d is None:
        raise SiteError(404, "unknown_district", "", f"no district with code {code[:12]!r} in the programme",
                        json_body=True)
    view = _ranking().live.view()
    text = badge_text(view, d, lang)
    body, etag = cached(view, ("badge", code, lang), lambda: badge.badge_svg(text))
    return conditional(body, etag, "image/svg+xml", BADGE_CACHE)


def badge_text(view: View, d, lang: str) -> badge.BadgeText:
    """The campaign rank as the district page states it: "อันดับ 3 จาก 533 อำเภอขนาดเล็ก" and the score."""
    group = d.size_group
    entry = view.index[(group, "campaign")][d.code]
    size = number(len(view.boards[(group, "campaign")]))
    t = TEXT[lang]
    if entry.rank is not None:
        headline = t["rank_in_group"].format(rank=number(entry.rank), total=size, group=GROUP_NAMES[lang][group])
    else:
        headline = f"{t['not_ranked']} ({t['needs_votes'].format(n=number(entry.votes_needed))})"
    name = (f"อำเภอ{d.name_th} จ.{d.province_th}" if lang == "th" else f"{d.name_en}, {d.province_en}")
    detail = f"{name} · {t['col_score']} {score(entry.score)}"
    return badge.BadgeText(t["programme"], headline, detail, f"{t['programme']}: {name} {headline} {detail}")


@bp.get("/ranking/static/<path:name>")
def static(name: str):
    if name.startswith("fonts/"):
        return send_from_directory(FONT_DIR, name.removeprefix("fonts/"), max_age=STATIC_MAX_AGE)
    return send_from_directory(SITE_DIR / "static", name, max_age=STATIC_MAX_AGE)

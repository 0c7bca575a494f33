"""Flask views of the QR vote page: a thin adapter between the HTML form and ingest's intake."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, redirect, render_template, request, send_from_directory, url_for

from services.channels import links
from services.channels.config import ChannelsConfig
from services.channels.wording import PROGRAMME, SCORE_WORDS, SLOGAN
from services.ingest.intake import Result, Source, Submission
from services.ingest.pages.device import COOKIE_NAME, CsrfError, DeviceSigner
from services.ingest.pages.form import VoteForm, field_errors
from services.ingest.pages.i18n import FIELD_ERRORS, TEXT, pick_lang
from shared.districts import District
from shared.fonts import FONT_DIR
from shared.vote_rules import COMMENT_MAX, SERVICES, STAFF_MAX
from shared.web import read_body

log = logging.getLogger(__name__)

CHANNEL = "qr"
# The largest QR image served: scale 40 cost 0.5-0.8 s of CPU; 16 px a module prints a poster-size code.
QR_MAX_SCALE = 16

bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets/page")

# Content-Security-Policy: everything from this origin only, so no request leaves the platform.
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


@dataclass(frozen=True)
class PagesContext:
    config: ChannelsConfig
    signer: DeviceSigner


def install(app, config: ChannelsConfig, signer: DeviceSigner) -> None:
    app.extensions["pages"] = PagesContext(config, signer)
    app.register_blueprint(bp)


def ingest_of_app():
    return current_app.extensions["ingest"]


def pages_context() -> PagesContext:
    return current_app.extensions["pages"]


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


def district_of(code: str) -> District | None:
    return ingest_of_app().registry.get(code)


def district_names(district: District, lang: str) -> tuple[str, str]:
    if lang == "en":
        return f"{district.name_en} District", f"{district.province_en} Province"
    return f"อำเภอ{district.name_th}", f"จังหวัด{district.province_th}"


def common(lang: str, switch_url: str | None) -> dict:
    return {"lang": lang, "t": TEXT[lang], "programme": PROGRAMME[lang], "slogan": SLOGAN[lang],
            "switch_url": switch_url}


def switch_link(endpoint: str, lang: str, **values) -> str:
    other = "en" if lang == "th" else "th"
    return url_for(endpoint, **values) + ("?lang=en" if other == "en" else "")


def not_found(code: str, lang: str):
    t = TEXT[lang]
    html = render_template("message.html", kind="not-found", heading=t["not_found_title"], district_name=None,
                           lines=[t["not_found_body"].format(code=code[:12])],
                           **common(lang, None))
    return html, 404


def device() -> tuple[str, bool]:
    """The device id from the signed cookie, or a new one (then the caller must set the cookie)."""
    existing = pages_context().signer.device_from_cookie(request.cookies.get(COOKIE_NAME))
    return (existing, False) if existing else (DeviceSigner.new_device_id(), True)


def set_device_cookie(response: Response, device_id: str) -> None:
    config = pages_context().config
    response.set_cookie(COOKIE_NAME, pages_context().signer.cookie_value(device_id),
                        max_age=config.device_cookie_days * 86400, httponly=True, samesite="Lax",
                        secure=request.is_secure, path="/d/")


def _render_vote(district: District, lang: str, form: VoteForm, *, notice: dict | None = None, status: int = 200):
    device_id, new = device()
    t = TEXT[lang]
    name, province = district_names(district, lang)
    words = SCORE_WORDS[lang]
    scores = [{"value": s, "word": words[s], "mouth_y": 32 if s != 3 else 31,
               "mouth_c": {1: 22, 2: 27, 3: 31, 4: 37, 5: 42}[s]} for s in range(1, 6)]
    count_template = t["count"]
    html = render_template(
        "vote.html", district_name=name, province_name=province, form=form, notice=notice,
        scores=scores, services=[(k, v[0] if lang == "th" else v[1]) for k, v in SERVICES.items()],
        action=url_for("pages.submit", code=district.code), csrf_token=pages_context().signer.csrf_token(device_id),
        staff_max=STAFF_MAX, comment_max=COMMENT_MAX, count_template=count_template,
        count_text=count_template.format(n=f"{len(form.comment):,}", max=f"{COMMENT_MAX:,}"),
        score_error=FIELD_ERRORS[lang]["score"],
        line_route=t["line_route"].format(account=pages_context().config.line_account_id,
                                          message=links.line_message(district.code)),
        **common(lang, switch_link("pages.vote_page", lang, code=district.code)),
    )
    response = Response(html, status=status, mimetype="text/html")
    if new:
        set_device_cookie(response, device_id)
    return response


def message_page(district: District, lang: str, kind: str, heading: str, lines: list[str], status: int = 200):
    name, province = district_names(district, lang)
    html = render_template("message.html", kind=kind, heading=heading, district_name=name, province_name=province,
                           lines=lines, **common(lang, switch_link(request.endpoint, lang, code=district.code)))
    return Response(html, status=status, mimetype="text/html")


@bp.get("/d/<code>")
def vote_page(code: str):
    lang = pick_lang(request.args.get("lang"))
    district = district_of(code)
    if district is None:
        return not_found(code, lang)
    return _render_vote(district, lang, VoteForm())


@bp.post("/d/<code>")
def submit(code: str):
    read_body()  # 413 for a body over the limit however it is framed, before the form is parsed
    lang = pick_lang(request.form.get("lang"))
    district = district_of(code)
    if district is None:
        return not_found(code, lang)
    t = TEXT[lang]
    form = VoteForm.from_mapping(request.form)
    signer = pages_context().signer
    try:
        ticket = signer.check_csrf(request.form.get("csrf_token"),
                                   signer.device_from_cookie(request.cookies.get(COOKIE_NAME)))
    except CsrfError as exc:
        log.info("qr form refused", extra={"reason": exc.reason, "district_code": code})
        body = t["cookies_body"] if exc.reason == "cookie" else t["expired_body"]
        return _render_vote(district, lang, form, status=400,
                            notice={"kind": "error", "title": t["expired_title"], "body": body})
    body = form.to_request(district.code, ticket.device_id)
    source = Source(CHANNEL, address=request.remote_addr)
    [outcome] = ingest_of_app().intake.submit(source, [Submission(body, f"qr-form:{ticket.nonce}")])
    if outcome.accepted:
        query = {"lang": lang} if lang != "th" else {}
        tickets = ingest_of_app().vote_tickets
        if tickets is not None and outcome.vote_id:  # the thank-you page may then take a story of this vote
            query["s"] = tickets.issue(outcome.vote_id, district.code)
        target = url_for("pages.thanks", code=district.code)
        return redirect(target + ("?" + urlencode(query) if query else ""), code=303)
    if outcome.result == Result.INVALID:
        form.errors = field_errors(outcome.fields, form, lang)
        return _render_vote(district, lang, form, status=422,
                            notice={"kind": "error", "title": t["errors_title"], "body": form.errors.get("_form")})
    if outcome.result in (Result.ALREADY_VOTED, Result.KEY_REUSED):
        return message_page(district, lang, "already", t["already_title"], [t["already_body"]], status=409)
    kind, status = ("slow", 429) if outcome.result == Result.RATE_LIMITED else ("busy", 503)
    response = _render_vote(district, lang, form, status=status,
                            notice={"kind": "error", "title": t[f"{kind}_title"], "body": t[f"{kind}_body"]})
    if outcome.retry_after:
        response.headers["Retry-After"] = str(outcome.retry_after)
    return response


@bp.get("/d/<code>/thanks")
def thanks(code: str):
    lang = pick_lang(request.args.get("lang"))
    district = district_of(code)
    if district is None:
        return not_found(code, lang)
    tickets = ingest_of_app().vote_tickets
    if tickets is not None and tickets.read(request.args.get("s"), district.code) is not None:
        from services.ingest.stories.pages import story_form  # the story step, its own module (issue 21)

        return story_form(district, lang, request.args["s"])
    t = TEXT[lang]
    return message_page(district, lang, "thanks", t["thanks_title"], [t["thanks_body"], t["thanks_ranking"]])


def _qr_url(code: str) -> str:
    """Only from PUBLIC_BASE_URL (required at start): never the request's Host header, which a client
    chooses, so a cache in front cannot be poisoned with a QR code pointing elsewhere."""
    return links.page_url(pages_context().config.public_base_url, code)


@bp.get("/d/<code>/qr.svg")
def qr_svg(code: str):
    district = district_of(code)
    if district is None:
        return not_found(code, "th")
    svg = links.qr_svg(_qr_url(code), title=f"{PROGRAMME['th']} อำเภอ{district.name_th}")
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@bp.get("/d/<code>/qr.png")
def qr_png(code: str):
    if district_of(code) is None:
        return not_found(code, "th")
    scale = min(max(request.args.get("scale", 8, type=_small_int), 2), QR_MAX_SCALE)
    return Response(links.qr_png(_qr_url(code), scale=scale), mimetype="image/png",
                    headers={"Cache-Control": "public, max-age=86400"})


@bp.get("/assets/fonts/<path:name>")
def font(name: str):
    return send_from_directory(FONT_DIR, name, max_age=30 * 86400)


def _small_int(text: str) -> int:
    """A query integer of a few digits (int() of a 5,000-digit string raises, which would be a 500)."""
    if not (text.isascii() and text.isdigit() and len(text) <= 4):
        raise ValueError(text)
    return int(text)

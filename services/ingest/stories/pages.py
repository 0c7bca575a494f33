"""The QR page's story step: the thank-you page's story form, the withdrawal code, the withdrawal page.

Routes on the vote pages' blueprint (same headers, CSP, cookie and CSRF); only forms, no script needed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import Response, render_template, request, url_for

from services.ingest.pages.device import COOKIE_NAME, CsrfError
from services.ingest.pages.i18n import TEXT, pick_lang
from services.ingest.pages.views import (
    bp,
    common,
    device,
    district_names,
    district_of,
    ingest_of_app,
    not_found,
    pages_context,
    set_device_cookie,
    switch_link,
)
from services.ingest.stories.codes import INPUT_MAX
from services.ingest.stories.desk import NAME_MAX, Told, VoteRef, Withdrawn
from services.ingest.stories.wording import CONSENT
from shared.districts import District
from shared.events import CREDITS, STORY_MAX
from shared.pdpa import voter_key
from shared.web import read_body

log = logging.getLogger(__name__)
CHANNEL = "qr"


@dataclass
class StoryForm:
    """What the citizen typed, kept verbatim so an error page shows it again."""

    text: str = ""
    publish: str = ""
    credit: str = "anonymous"
    name: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data) -> StoryForm:
        return cls(str(data.get("story", "")), str(data.get("publish", "")),
                   str(data.get("credit", "anonymous")), str(data.get("name", "")))

    def to_request(self) -> dict:
        body: dict = {"text": self.text, "credit": self.credit, "name": self.name}
        if self.publish in ("yes", "no"):
            body["publish"] = self.publish == "yes"
        return body


def _words(lang: str) -> dict[str, str]:
    return {**TEXT[lang], **CONSENT[lang]}


def story_form(district: District, lang: str, ticket: str, form: StoryForm | None = None, *,
               notice: dict | None = None, status: int = 200) -> Response:
    device_id, new = device()
    name, province = district_names(district, lang)
    w = _words(lang)
    html = render_template(
        "story.html", district_name=name, province_name=province, form=form or StoryForm(), notice=notice,
        ticket=ticket, csrf_token=pages_context().signer.csrf_token(device_id), story_max=STORY_MAX,
        name_max=NAME_MAX, credits=[(c, w[f"credit_{c}"]) for c in CREDITS],
        action=url_for("pages.tell_story", code=district.code), c=CONSENT[lang],
        withdraw_url=url_for("pages.withdraw_page") + ("?lang=en" if lang == "en" else ""),
        **common(lang, None))
    response = Response(html, status=status, mimetype="text/html")
    if new:
        set_device_cookie(response, device_id)
    return response


def _message(lang: str, kind: str, heading: str, lines: list[str], status: int, district: District | None = None):
    name, province = district_names(district, lang) if district else (None, None)
    html = render_template("message.html", kind=kind, heading=heading, district_name=name, province_name=province,
                           lines=lines, **common(lang, None))
    return Response(html, status=status, mimetype="text/html")


def _checked_device(lang: str) -> tuple[str | None, Response | None]:
    """The device of a form whose CSRF token holds, or the 400 page that says what to do."""
    signer = pages_context().signer
    try:
        ticket = signer.check_csrf(request.form.get("csrf_token"),
                                   signer.device_from_cookie(request.cookies.get(COOKIE_NAME)))
    except CsrfError as exc:
        t = TEXT[lang]
        log.info("story form refused", extra={"reason": exc.reason})
        body = t["cookies_body"] if exc.reason == "cookie" else t["expired_body"]
        return None, _message(lang, "error", t["expired_title"], [body], 400)
    return ticket.device_id, None


def _field_errors(fields: dict, lang: str) -> dict[str, str]:
    c = CONSENT[lang]
    out: dict[str, str] = {}
    for name in fields:
        if name == "text":
            out["story"] = c["story_long"].format(max=f"{STORY_MAX:,}") if any(
                "maximum" in str(m) for m in fields[name]) else c["story_empty"]
        elif name == "publish":
            out["publish"] = c["choose_publish"]
        else:  # name, credit
            out["name"] = c["name_needed"].format(max=NAME_MAX)
    return out


@bp.post("/d/<code>/story")
def tell_story(code: str):
    read_body()
    lang = pick_lang(request.form.get("lang"))
    district = district_of(code)
    ingest = ingest_of_app()
    if district is None or ingest.stories is None:
        return not_found(code, lang)
    c = CONSENT[lang]
    device_id, refused = _checked_device(lang)
    if refused is not None:
        return refused
    token = request.form.get("s", "")
    vote = ingest.vote_tickets.read(token, district.code)
    if vote is None:
        return _message(lang, "error", c["story_title"], [c["vote_expired"]], 400, district)
    form = StoryForm.from_mapping(request.form)
    ref = VoteRef(vote.vote_id, district.code, voter_key(ingest.intake.voter_secret, CHANNEL, device_id))
    outcome = ingest.stories.tell(ref, CHANNEL, form.to_request())
    if outcome.result == Told.TOLD:
        return _message(lang, "thanks", c["told_title"],
                        [c["told_code"].format(code=outcome.code), c["told_keep"].format(code=outcome.code)], 200,
                        district)
    if outcome.result == Told.INVALID:
        form.errors = _field_errors(outcome.fields, lang)
        return story_form(district, lang, token, form, status=422,
                          notice={"kind": "error", "title": TEXT[lang]["errors_title"]})
    if outcome.result == Told.ALREADY:
        return _message(lang, "already", c["already_told"], [], 409, district)
    t = TEXT[lang]
    return story_form(district, lang, token, form, status=503,
                      notice={"kind": "error", "title": t["busy_title"], "body": t["busy_body"]})


def _withdraw_form(lang: str, *, typed: str = "", error: str | None = None, status: int = 200) -> Response:
    device_id, new = device()
    html = render_template("withdraw.html", c=CONSENT[lang], typed=typed[:INPUT_MAX], error=error,
                           csrf_token=pages_context().signer.csrf_token(device_id), code_max=INPUT_MAX,
                           action=url_for("pages.withdraw_page"),
                           **common(lang, switch_link("pages.withdraw_page", lang)))
    response = Response(html, status=status, mimetype="text/html")
    if new:
        set_device_cookie(response, device_id)
    return response


@bp.get("/d/withdraw")
def withdraw_page():
    return _withdraw_form(pick_lang(request.args.get("lang")))


@bp.post("/d/withdraw")
def withdraw():
    read_body()
    lang = pick_lang(request.form.get("lang"))
    ingest = ingest_of_app()
    if ingest.stories is None:
        return not_found("", lang)
    _, refused = _checked_device(lang)
    if refused is not None:
        return refused
    c, t = CONSENT[lang], TEXT[lang]
    typed = str(request.form.get("code", ""))
    result, retry = ingest.stories.withdraw(typed, CHANNEL, request.remote_addr or "unknown")
    if result == Withdrawn.WITHDRAWN:
        return _message(lang, "thanks", c["withdrawn_title"], [c["withdrawn_body"]], 200)
    if result == Withdrawn.NOT_FOUND:
        return _withdraw_form(lang, typed=typed, error=c["bad_code"], status=404)
    if result == Withdrawn.RATE_LIMITED:
        response = _withdraw_form(lang, typed=typed, error=t["slow_body"], status=429)
        response.headers["Retry-After"] = str(int(retry or 60))
        return response
    return _withdraw_form(lang, typed=typed, error=t["busy_body"], status=503)

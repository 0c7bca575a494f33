"""The chief's inbox in a browser: /inbox. Every counted comment of the district from every channel
(the feedback view), filtered; its alerts with their notes; the trend; praise counted, with merge and
rename. Thai first, phone-first, plain HTML forms (no JavaScript), `no-store`, double-submit CSRF cookie.

One inbox per district, for its chief and the deputies the directory names (services/notify/directory.py):
each enters by their own one-time sign-in link mailed to their own address in the directory (POST
/inbox/sign-in with the district code and, for a deputy, their e-mail address) or by the entry link of an
alert message or the digest sent to them (services/notify/inbox_access.py). The link and the session name
the person by directory key (`chief:3706`, `deputy:3706:d1`: role and an id, never an address), and are
honoured only while the directory still names that person for that district: a deputy removed from the
file is refused at the next request (403, Thai page). What a reader changes records that key.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict
from itertools import islice

from flask import Blueprint, Response, current_app, make_response, redirect, render_template, request, url_for

from services.notify.directory import CHIEF, Contact, valid_email
from services.notify.inbox import CHANNELS_TH, PAGE_SIZE, parse_filter
from services.notify.inbox_access import SESSION_S, Reader
from services.notify.inbox_messages import sign_in_message
from services.notify.links import LinkError
from services.notify.messages import RULE_NAMES, STATUS_TH
from services.notify.pages import security_headers
from services.notify.praise_counts import count_praise
from services.notify.praise_store import PraiseChangeError
from services.notify.stories.inbox import district_stories
from services.notify.trend import recent_trend
from shared.pdpa import redact
from shared.secrets import same_secret
from shared.thaidate import be_date, be_datetime
from shared.timeutil import bangkok_day
from shared.vote_rules import SERVICES
from shared.web import read_body

bp = Blueprint("inbox_pages", __name__, template_folder="templates")
SESSION_COOKIE, CSRF_COOKIE = "notify_inbox", "notify_inbox_csrf"
SIGN_IN_SLOT_S = 600  # at most one sign-in mail per person per ten minutes, however often it is asked for
MAX_CODE = 8
MAX_ADDRESS = 254
log = logging.getLogger(__name__)


@bp.after_request
def inbox_headers(response: Response) -> Response:
    response = security_headers(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def _ctx():
    return current_app.extensions["notify"]


def _csrf() -> str:
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)


def _page(template: str, status: int = 200, **values) -> Response:
    csrf = _csrf()
    response = make_response(render_template(template, csrf=csrf, **values), status)
    response.set_cookie(CSRF_COOKIE, csrf, max_age=3600, httponly=True, samesite="Strict", secure=request.is_secure,
                        path="/inbox")
    return response


def _problem(status: int, title_th: str, text_th: str, text_en: str) -> Response:
    return make_response(render_template("problem.html", title_th=title_th, text_th=text_th, text_en=text_en), status)


def _form_checked() -> bool:
    read_body()  # 413 for a body over the limit however it is framed, before the form is parsed
    cookie, field = request.cookies.get(CSRF_COOKIE, ""), request.form.get("csrf", "")
    return bool(cookie) and bool(field) and same_secret(field, cookie)


def _named(reader: Reader) -> Contact | None:
    """The directory's entry for the reader, if it still names them the district's chief or deputy."""
    contact = _ctx().notify.store.contact(reader.contact_key)
    return contact if contact is not None and contact.reads_inbox_of(reader.district) else None


def _reader() -> tuple[Reader | None, bool]:
    """The signed-in reader the directory still names for the district; and whether a live session was
    refused because it no longer does (removed, or moved to another district)."""
    reader = _ctx().inbox_access.session(request.cookies.get(SESSION_COOKIE, ""))
    if reader is None:
        return None, False
    if _named(reader) is None:
        log.info("inbox session refused: not in the directory for the district",
                 extra={"reader": reader.contact_key, "district": reader.district})
        return None, True
    return reader, False


def _refused() -> Response:
    """A link or session of someone the directory does not name for that district: 403, and the cookie gone."""
    response = _problem(403, "ไม่มีสิทธิ์เปิดกล่องความคิดเห็นนี้",
                        "ทะเบียนรายชื่อไม่ได้ระบุท่านเป็นนายอำเภอหรือปลัดอำเภอของอำเภอนี้ หากเป็นความผิดพลาด กรุณาติดต่อสำนักงานกลาง",
                        "The directory does not name you as this district's chief or deputy; if this is a mistake, "
                        "contact the central office.")
    response.delete_cookie(SESSION_COOKIE, path="/inbox", httponly=True, samesite="Strict", secure=request.is_secure)
    return response


def _expired_form() -> Response:
    return _problem(403, "ส่งแบบฟอร์มไม่สำเร็จ", "แบบฟอร์มหมดอายุหรือไม่ได้ส่งจากหน้านี้ กรุณาเปิดหน้าใหม่แล้วลองอีกครั้ง",
                    "The form expired or did not come from this page; open the page again and retry.")


# ---------------------------------------------------------------------- signing in
def _asked_for(code: str, address: str) -> Contact | None:
    """Whom a sign-in request names: the district's chief or deputy with this e-mail address, or the chief
    when no address was typed. None when the directory has nobody so (the caller answers the same)."""
    readers = _ctx().notify.store.district_readers(code) if code in _ctx().notify.registry else []
    if address:
        wanted = address.casefold()
        return next((c for c in readers if c.email and c.email.casefold() == wanted), None)
    return next((c for c in readers if c.role == CHIEF), None)


@bp.post("/inbox/sign-in")
def sign_in():
    """Mails a one-time link to the person asked for: the district's chief, or the chief or deputy whose
    address in the directory was typed; always to the directory's address, never to another. The answer is
    the same whether or not the directory names anybody so (nobody learns the directory from it), and each
    person gets at most one mail per ten minutes however often it is asked for."""
    if not _form_checked():
        return _expired_form()
    ctx = _ctx()
    code = (request.form.get("district") or "").strip()[:MAX_CODE]
    address = (request.form.get("email") or "").strip()[:MAX_ADDRESS + 1]
    if not (code.isascii() and code.isdigit() and len(code) == 4):
        return _page("inbox_signin.html", 400, error="กรุณากรอกรหัสอำเภอ 4 หลัก / Enter the 4-digit district code.")
    if address and (len(address) > MAX_ADDRESS or not valid_email(address)):
        return _page("inbox_signin.html", 400,
                     error="กรุณากรอกอีเมลให้ถูกต้อง หรือเว้นว่างไว้ (นายอำเภอ) / Enter a valid e-mail address, or "
                           "leave it empty (the chief).")
    contact = _asked_for(code, address)
    if contact is not None and contact.email and "email" in ctx.notify.transports:
        now = ctx.notify.clock()
        slot = int(now.timestamp()) // SIGN_IN_SLOT_S
        url = ctx.inbox_access.sign_in_url(Reader(code, contact.key))
        content = asdict(sign_in_message(ctx.notify.registry.get(code), url, now))
        ctx.notify.notifier.outbox.enqueue(f"{contact.key}/email", contact.key, "email",
                                           [(f"signin-{code}-{slot}", "signin")], None, now, content=content)
        log.info("inbox sign-in link asked", extra={"reader": contact.key, "district": code})
    return _page("inbox_signin.html", sent=True)


@bp.get("/inbox/enter/<token>")
def enter(token: str):
    ctx = _ctx()
    try:
        reader = ctx.inbox_access.enter(token, ctx.notify.clock())
    except LinkError as exc:
        if exc.code in ("link_expired", "link_used"):
            return _problem(410, "ลิงก์ใช้ไม่ได้แล้ว", "ลิงก์นี้หมดอายุหรือใช้ไปแล้ว กรุณาขอลิงก์ใหม่ที่หน้ากล่องความคิดเห็น",
                            "This link has expired or was used; ask for a new one on the inbox page.")
        return _problem(403, "ลิงก์ไม่ถูกต้อง", "ลิงก์นี้ไม่ถูกต้อง", "This link is not valid.")
    if _named(reader) is None:  # removed from the directory since the link was sent, or not of this district
        log.info("inbox link refused: not in the directory for the district",
                 extra={"reader": reader.contact_key, "district": reader.district})
        return _refused()
    log.info("inbox session opened", extra={"reader": reader.contact_key, "district": reader.district})
    response = redirect(url_for("inbox_pages.inbox"), 303)
    response.set_cookie(SESSION_COOKIE, ctx.inbox_access.open(reader), max_age=SESSION_S, httponly=True,
                        samesite="Strict", secure=request.is_secure, path="/inbox")
    return response


@bp.post("/inbox/sign-out")
def sign_out():
    if not _form_checked():
        return _expired_form()
    _ctx().inbox_access.close(request.cookies.get(SESSION_COOKIE, ""), _ctx().notify.clock())
    response = _page("inbox_signin.html")
    response.delete_cookie(SESSION_COOKIE, path="/inbox", httponly=True, samesite="Strict", secure=request.is_secure)
    return response


# ---------------------------------------------------------------------- the inbox
@bp.get("/inbox")
def inbox():
    reader, refused = _reader()
    if refused:
        return _refused()
    if reader is None:
        return _page("inbox_signin.html")
    ctx = _ctx()
    store = ctx.notify.store
    today = bangkok_day(ctx.notify.clock())
    chosen, problems = parse_filter(request.args, today)
    # newest day first, read until the page is full (a praise without a comment is listed when asked for)
    found = (d for d in ctx.feedback.district_days(reader.district, chosen.last, chosen.first)
             if chosen.keeps(d) and (d.get("comment") or chosen.praise))
    shown = list(islice(found, PAGE_SIZE))
    praise = count_praise(ctx.feedback.praise_mentions(reader.district, chosen.first, chosen.last),
                          ctx.praise.directory(reader.district))
    comments = [{"score": d["score"], "text": redact(str(d["comment"]))[0], "at": be_datetime(d["at"]),
                 "channel": CHANNELS_TH.get(d.get("comment_channel") or d.get("channel") or "", "-"),
                 "service": SERVICES.get(d.get("service") or "", ("", ""))[0],
                 "praise": (d.get("praise") or {}).get("text") if d.get("praise_counted") else None}
                for d in shown]
    readers = {c.key: c for c in store.district_readers(reader.district)}
    alerts = [{"alert": a, "rule_th": RULE_NAMES[a.rule][0], "status_th": STATUS_TH[a.status],
               "opened": be_datetime(a.opened_at), "acknowledged_by": _who(a.acknowledged_by, readers),
               "resolved_by": _who(a.resolved_by, readers)}
              for a in store.list_alerts(district=reader.district, limit=50)]
    return _page("inbox.html", 400 if problems else 200, district=ctx.notify.registry.get(reader.district),
                 me=readers.get(reader.contact_key),
                 comments=comments, alerts=alerts, stories=district_stories(ctx.notify.story_store, reader.district),
                 trend=recent_trend(store, reader.district, today), praise=praise,
                 chosen=chosen, problems=problems, services=SERVICES, channels=CHANNELS_TH, be_date=be_date,
                 period=(be_date(chosen.first), be_date(chosen.last)), done=request.args.get("done"))


def _who(key: str | None, readers: dict[str, Contact]) -> str | None:
    """Who acted on an alert, as the district's own readers know them: the title (or name) the directory
    gives; the centre; or someone the directory no longer names. Never shown outside the inbox."""
    if not key:
        return None
    if key == "centre":
        return "สำนักงานกลาง"
    contact = readers.get(key)
    return (contact.title or contact.name) if contact else "ผู้ที่ไม่อยู่ในทะเบียนแล้ว"


def _praise_change(action):
    reader, refused = _reader()
    if refused:
        return _refused()
    if reader is None:
        return _page("inbox_signin.html", 401)
    if not _form_checked():
        return _expired_form()
    try:
        action(_ctx().praise, reader)
    except PraiseChangeError as exc:
        return _problem(400, "บันทึกไม่สำเร็จ", "กรุณาเลือกชื่อให้ถูกต้อง (ไม่เกิน 100 ตัวอักษร)", str(exc))
    return redirect(url_for("inbox_pages.inbox", done="praise") + "#praise", 303)


@bp.post("/inbox/praise/merge")
def praise_merge():
    """Two spellings of one person: the counts of `spelling` move to `into`."""
    return _praise_change(lambda praise, reader: praise.merge(reader.district, request.form.get("spelling"),
                                                              request.form.get("into"), by=reader.contact_key,
                                                              at=_ctx().notify.clock()))


@bp.post("/inbox/praise/rename")
def praise_rename():
    return _praise_change(lambda praise, reader: praise.rename(reader.district, request.form.get("key"),
                                                               request.form.get("name"), by=reader.contact_key,
                                                               at=_ctx().notify.clock()))

"""The chief's page: /a/<signed token>. Thai first, phone-first, plain HTML forms (no JavaScript);
acknowledge, resolve and silence are POSTs protected by a double-submit CSRF cookie."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Blueprint, Response, current_app, make_response, redirect, render_template, request, url_for

from services.notify.actions import AlertNotFound
from services.notify.directory import GOVERNOR, ROLES, inbox_district
from services.notify.inbox_access import Reader
from services.notify.lifecycle import TransitionError
from services.notify.links import Holder, LinkError
from services.notify.messages import RULE_NAMES, STATUS_TH, figures_en, figures_th
from services.notify.trend import recent_comments, recent_trend
from shared.fonts import FONT_DIR
from shared.secrets import same_secret
from shared.thaidate import be_date, be_datetime, duration_th
from shared.timeutil import bangkok_day
from shared.web import read_body

CSRF_COOKIE = "notify_csrf"
DONE_TH = {"acknowledged": "บันทึกการรับทราบแล้ว ขอบคุณครับ/ค่ะ", "resolved": "บันทึกการแก้ไขแล้ว ขอบคุณครับ/ค่ะ",
           "silenced": "ปิดการแจ้งเตือนชั่วคราวแล้ว"}
SILENCE_DAYS = (1, 3, 7)
_CSP = ("default-src 'none'; style-src 'self'; font-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'")

bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets/notify")


def _ctx():
    return current_app.extensions["notify"]


@bp.after_request
def security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers.setdefault("Referrer-Policy", "no-referrer")  # the link is the key: never leak it
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.endpoint and request.endpoint.startswith("pages.alert"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _problem(status: int, title_th: str, text_th: str, text_en: str) -> Response:
    return make_response(render_template("problem.html", title_th=title_th, text_th=text_th, text_en=text_en), status)


def _still_named(holder: Holder) -> bool:
    """A link works while the directory still names its holder for the alert's district: its chief or a deputy
    of it, or the governor of its province (escalations). Someone removed from the file, or moved elsewhere,
    loses the alert pages with the inbox at the next request, though the signed link lives 14 days. The
    centre's own links (`centre`, made behind the central-office key) are not directory entries."""
    role = holder.contact_key.partition(":")[0]
    if role not in ROLES:
        return True
    contact = _ctx().notify.store.contact(holder.contact_key)
    district = holder.alert_id.split("-")[0]
    if contact is None:
        return False
    if role == GOVERNOR:
        return district in _ctx().notify.registry and _ctx().notify.registry.get(district).province_code == contact.code
    return contact.reads_inbox_of(district)


def _holder(token: str):
    try:
        holder = _ctx().links.read(token)
    except LinkError as exc:
        if exc.code == "link_expired":
            return None, _problem(410, "ลิงก์หมดอายุแล้ว", "ลิงก์นี้หมดอายุแล้ว กรุณาเปิดจากข้อความแจ้งเตือนล่าสุด",
                                  "This link has expired; open the newest message about the alert.")
        return None, _problem(403, "ลิงก์ไม่ถูกต้อง", "ลิงก์นี้ไม่ถูกต้อง กรุณาเปิดจากข้อความแจ้งเตือนที่ได้รับ",
                              "This link is not valid; open it from the message you received.")
    if not _still_named(holder):
        return None, _problem(403, "ไม่มีสิทธิ์เปิดหน้านี้",
                              "ทะเบียนรายชื่อไม่ได้ระบุท่านเป็นผู้รับการแจ้งเตือนของอำเภอนี้แล้ว หากเป็นความผิดพลาด กรุณาติดต่อสำนักงานกลาง",
                              "The directory no longer names you for this district's alerts; if this is a mistake, "
                              "contact the central office.")
    return holder, None


@bp.get("/a/<token>")
def alert_page(token: str):
    holder, problem = _holder(token)
    if problem:
        return problem
    ctx = _ctx()
    try:
        alert = ctx.actions.get(holder.alert_id)
    except AlertNotFound:
        return _problem(404, "ไม่พบเรื่องนี้", "ไม่พบเรื่องแจ้งเตือนนี้", "This alert does not exist.")
    district = ctx.notify.registry.get(alert.district)
    now = ctx.notify.clock()
    today = bangkok_day(now)
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = make_response(render_template(
        "alert.html", alert=alert, district=district, token=token, csrf=csrf,
        rule_th=RULE_NAMES[alert.rule][0], rule_en=RULE_NAMES[alert.rule][1],
        figures_th=figures_th(alert), figures_en=figures_en(alert), status_th=STATUS_TH[alert.status],
        opened_th=be_datetime(alert.opened_at), age_th=duration_th(alert.age(now)),
        acknowledged_th=be_datetime(alert.acknowledged_at) if alert.acknowledged_at else None,
        resolved_th=be_datetime(alert.resolved_at) if alert.resolved_at else None,
        trend=recent_trend(ctx.notify.store, alert.district, today),
        comments=recent_comments(ctx.feedback, alert.district, today),
        be_date=be_date, be_datetime=be_datetime, silence_days=SILENCE_DAYS,
        inbox_url=ctx.inbox_access.entry_url(Reader(alert.district, holder.contact_key))
        if inbox_district(holder.contact_key) == alert.district else None,
        done=DONE_TH.get(request.args.get("done", "")), error=request.args.get("error")))
    response.set_cookie(CSRF_COOKIE, csrf, max_age=86400, httponly=True, samesite="Strict",
                        secure=request.is_secure, path="/a/")
    return response


def _checked_post(token: str):
    """The link and the CSRF pair (cookie and form field equal) or an error page."""
    read_body()  # 413 for a body over the limit however it is framed, before the form is parsed
    holder, problem = _holder(token)
    if problem:
        return None, problem
    cookie, field = request.cookies.get(CSRF_COOKIE, ""), request.form.get("csrf", "")
    if not cookie or not field or not same_secret(field, cookie):
        return None, _problem(403, "ส่งแบบฟอร์มไม่สำเร็จ",
                              "แบบฟอร์มหมดอายุหรือไม่ได้ส่งจากหน้านี้ กรุณาเปิดลิงก์อีกครั้งแล้วลองใหม่",
                              "The form expired or did not come from this page; open the link again and retry.")
    return holder, None


def _after(token: str, done: str | None = None, error: str | None = None):
    args = {"done": done} if done else {"error": error}
    return redirect(url_for("pages.alert_page", token=token, **args), 303)


def _transition(token: str, action: str):
    holder, problem = _checked_post(token)
    if problem:
        return problem
    ctx = _ctx()
    note = request.form.get("note", "")
    try:
        getattr(ctx.actions, action)(holder.alert_id, note, holder.contact_key)
    except AlertNotFound:
        return _problem(404, "ไม่พบเรื่องนี้", "ไม่พบเรื่องแจ้งเตือนนี้", "This alert does not exist.")
    except TransitionError as exc:
        status = 400 if "note" in str(exc) else 409
        text_th = ("กรุณาเขียนบันทึก (ไม่เกิน 2,000 ตัวอักษร)" if status == 400
                   else "สถานะของเรื่องนี้เปลี่ยนไปแล้ว กรุณาเปิดหน้าใหม่")
        return _problem(status, "บันทึกไม่สำเร็จ", text_th, str(exc))
    return _after(token, done="acknowledged" if action == "acknowledge" else "resolved")


@bp.post("/a/<token>/acknowledge")
def alert_acknowledge(token: str):
    return _transition(token, "acknowledge")


@bp.post("/a/<token>/resolve")
def alert_resolve(token: str):
    return _transition(token, "resolve")


@bp.post("/a/<token>/silence")
def alert_silence(token: str):
    holder, problem = _checked_post(token)
    if problem:
        return problem
    ctx = _ctx()
    try:
        days = int(request.form.get("days", ""))
        if days not in SILENCE_DAYS:
            raise ValueError("days must be 1, 3 or 7")
        ctx.actions.silence_alert(holder.alert_id, request.form.get("scope") == "all",
                                  ctx.notify.clock() + timedelta(days=days), request.form.get("note"),
                                  holder.contact_key)
    except AlertNotFound:
        return _problem(404, "ไม่พบเรื่องนี้", "ไม่พบเรื่องแจ้งเตือนนี้", "This alert does not exist.")
    except TransitionError as exc:
        return _problem(409, "บันทึกไม่สำเร็จ", "เรื่องนี้แก้ไขแล้ว จึงปิดการแจ้งเตือนจากหน้านี้ไม่ได้", str(exc))
    except ValueError as exc:
        return _problem(400, "บันทึกไม่สำเร็จ", "กรุณาเลือกระยะเวลาและเขียนเหตุผล", str(exc))
    return _after(token, done="silenced")


@bp.get("/assets/fonts/<path:name>")
def font(name: str):
    from flask import send_from_directory

    return send_from_directory(FONT_DIR, name, max_age=30 * 86400)

"""The centre's view in a browser: /centre lists every alert with its age, filtered by status,
province, district and rule; each row opens the alert's page (as the centre). Behind the
central-office key: typed once into a form, kept as a signed HttpOnly cookie for 8 hours, tied to that key
(rotating the keys ends it) and ended by signing out (services/notify/sessions.py)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Blueprint, Response, current_app, make_response, redirect, render_template, request, url_for

from services.notify.centre import PraiseQueryError, praise_export
from services.notify.lifecycle import STATUSES
from services.notify.messages import RULE_NAMES, STATUS_TH
from services.notify.outbox import DEAD
from services.notify.pages import security_headers
from services.notify.rules import RULES
from services.notify.sessions import SESSION_S
from shared.secrets import same_secret
from shared.thaidate import be_datetime, duration_th
from shared.web import read_body

bp = Blueprint("centre_pages", __name__, template_folder="templates")
SESSION_COOKIE, CSRF_COOKIE = "notify_centre", "notify_centre_csrf"
bp.after_request(security_headers)  # the same CSP, no-referrer and nosniff as the chief's page


def _ctx():
    return current_app.extensions["notify"]


def _key_known(key: str) -> bool:
    digest = hashlib.sha256(key.strip().encode()).digest()
    known = [hashlib.sha256(k.encode()).digest() for k in _ctx().notify.config.central_office_keys]
    return bool(key.strip()) and any([hmac.compare_digest(digest, k) for k in known])  # every key compared


def _signed_in() -> bool:
    """A session opened with a key that is still current and not signed out (services/notify/sessions.py)."""
    return _ctx().sessions.valid(request.cookies.get(SESSION_COOKIE, ""), _ctx().notify.config.central_office_keys)


def _form_checked() -> bool:
    read_body()  # 413 for a body over the limit however it is framed, before the form is parsed
    cookie, field = request.cookies.get(CSRF_COOKIE, ""), request.form.get("csrf", "")
    return bool(cookie) and same_secret(field, cookie)


def _login_page(status: int = 200, error: str | None = None) -> Response:
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = make_response(render_template("centre_login.html", csrf=csrf, error=error), status)
    response.set_cookie(CSRF_COOKIE, csrf, max_age=3600, httponly=True, samesite="Strict", secure=request.is_secure,
                        path="/centre")
    return response


@bp.post("/centre/login")
def login():
    if not _form_checked():
        return _login_page(403, "แบบฟอร์มหมดอายุ กรุณาลองใหม่ / The form expired; try again.")
    key = request.form.get("key", "")
    if not _key_known(key):
        return _login_page(401, "รหัสสำนักงานกลางไม่ถูกต้อง / The central-office key is not known.")
    response = redirect(url_for("centre_pages.alerts"), 303)
    response.set_cookie(SESSION_COOKIE, _ctx().sessions.open(key), max_age=SESSION_S, httponly=True,
                        samesite="Strict", secure=request.is_secure, path="/")
    return response


@bp.post("/centre/logout")
def logout():
    """Sign out: this session ends for good, here and in any copy of its cookie."""
    if not _form_checked():
        return _login_page(403, "แบบฟอร์มหมดอายุ กรุณาลองใหม่ / The form expired; try again.")
    _ctx().sessions.close(request.cookies.get(SESSION_COOKIE, ""), _ctx().notify.clock())
    response = _login_page(200, None)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Strict", secure=request.is_secure)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/centre/praise")
def praise_download():
    """The praise table for a signed-in centre browser (CSV or XLSX links on /centre); 400 for a bad value."""
    if not _signed_in():
        return _login_page(401)
    try:
        return praise_export(request.args)
    except PraiseQueryError as exc:
        return make_response(render_template("problem.html", title_th="ค่าที่เลือกไม่ถูกต้อง",
                                             text_th="กรุณาเลือกช่วงวันที่ กลุ่มขนาด และจังหวัดให้ถูกต้อง",
                                             text_en=str(exc)), 400)


@bp.get("/centre")
def alerts():
    if not _signed_in():
        return _login_page()
    ctx = _ctx()
    registry = ctx.notify.registry
    status = request.args.get("status") or None
    rule = request.args.get("rule") or None
    district = (request.args.get("district") or "").strip() or None
    province = request.args.get("province") or None
    problems = []
    if status and status not in STATUSES:
        problems.append("status")
    if rule and rule not in RULES:
        problems.append("rule")
    if district and district not in registry:
        problems.append("district")
    in_province = {d.code for d in registry if d.province_code == province} if province else None
    if province and not in_province:
        problems.append("province")
    found = [] if problems else ctx.notify.store.list_alerts(status=status, district=district,
                                                             province_districts=in_province)
    if rule:
        found = [a for a in found if a.rule == rule]
    now = ctx.notify.clock()
    rows = [{"alert": a, "district": registry.get(a.district), "rule_th": RULE_NAMES[a.rule][0],
             "status_th": STATUS_TH[a.status], "age": duration_th(a.age(now)), "opened": be_datetime(a.opened_at),
             "link": ctx.links.url(a.id, "centre")} for a in found]
    provinces = sorted({(d.province_code, d.province_th) for d in registry}, key=lambda p: p[1])
    dead = ctx.notify.store.outbox.count_documents({"state": DEAD})
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = make_response(render_template(
        "centre.html", csrf=csrf, rows=rows, problems=problems, statuses=[(s, STATUS_TH[s]) for s in STATUSES],
        rules=[(r, RULE_NAMES[r][0]) for r in RULES], provinces=provinces, dead=dead,
        chosen={"status": status, "rule": rule, "district": district or "", "province": province}),
        400 if problems else 200)
    response.set_cookie(CSRF_COOKIE, csrf, max_age=3600, httponly=True, samesite="Strict", secure=request.is_secure,
                        path="/centre")
    response.headers["Cache-Control"] = "no-store"
    return response

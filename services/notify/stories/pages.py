"""The centre's moderation queue in a browser: /centre/stories (filters by status, province, district,
shortlist), each story with its original and the centre's edit side by side, its consent, and forms to
edit, approve, reject with a reason and shortlist. Behind the centre's session and CSRF, no script."""

from __future__ import annotations

import secrets

from flask import make_response, redirect, render_template, request, url_for
from marshmallow import ValidationError

from services.notify.centre_pages import CSRF_COOKIE, _ctx, _form_checked, _login_page, _signed_in, bp
from services.notify.stories.api import audit_file, decide, filters
from services.notify.stories.moderation import ACTIONS, STATUSES
from services.notify.stories.schemas import SCHEMAS
from shared.errors import ApiError
from shared.events import SHORTLISTS
from shared.thaidate import be_datetime

STATUS_TH = {"new": "ใหม่ รอตรวจ", "approved": "อนุมัติ เผยแพร่แล้ว", "rejected": "ไม่อนุมัติ",
             "withdrawn": "ผู้เล่าถอนแล้ว"}
SHORTLIST_TH = {"film": "คัดเลือกทำภาพยนตร์สั้น", "award": "คัดเลือกเพื่อรางวัล"}
CREDIT_TH = {None: "ไม่ระบุชื่อ"}


def _page(notice: str | None = None, status: int = 200):
    ctx = _ctx()
    registry = ctx.notify.registry
    chosen, problems = filters(registry, request.args)
    stories = [] if problems else ctx.stories.store.list(**chosen)
    rows = [{"s": s, "district": registry.get(s.district_code), "status_th": STATUS_TH[s.status],
             "told": be_datetime(s.told_at) if s.told_at else "", "credit": s.credit_name or CREDIT_TH[None]}
            for s in stories]
    provinces = sorted({(d.province_code, d.province_th) for d in registry}, key=lambda p: p[1])
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = make_response(render_template(
        "centre_stories.html", csrf=csrf, rows=rows, problems=sorted(problems), notice=notice,
        statuses=[(s, STATUS_TH[s]) for s in STATUSES], shortlists=list(SHORTLIST_TH.items()),
        provinces=provinces, chosen={"status": chosen["status"], "shortlist": chosen["shortlist"],
                                     "province": request.args.get("province"),
                                     "district": (request.args.get("district") or "").strip()[:4]}),
        400 if problems else status)
    response.set_cookie(CSRF_COOKIE, csrf, max_age=3600, httponly=True, samesite="Strict", secure=request.is_secure,
                        path="/centre")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/centre/stories")
def stories():
    if not _signed_in():
        return _login_page()
    return _page()


@bp.post("/centre/stories/<story_id>/<action>")
def story_action(story_id: str, action: str):
    if not _form_checked():
        return _login_page(403, "แบบฟอร์มหมดอายุ กรุณาลองใหม่ / The form expired; try again.")
    if not _signed_in():
        return _login_page(401)
    if action not in ACTIONS:
        return _page("ไม่มีการกระทำนี้ / No such action.", 404)
    fields = {"by": request.form.get("by", "")}
    fields.update({"edit": {"text": request.form.get("text", "")}, "reject": {"reason": request.form.get("reason", "")},
                   "shortlist": {"list": request.form.get("list", "")}}.get(action, {}))
    try:
        body = SCHEMAS[action].load(fields)
    except ValidationError as exc:
        names = ", ".join(sorted(exc.messages))
        return _page(f"กรุณากรอกให้ครบและถูกต้อง: {names} / Please fill in: {names}", 400)
    try:
        decide(story_id[:64], action, body)
    except ApiError as exc:
        return _page(f"ทำไม่ได้: {exc.message} ({exc.error})", exc.status)
    return redirect(url_for("centre_pages.stories") + f"#story-{story_id[:64]}", 303)


@bp.get("/centre/stories/audit.<fmt>")
def audit_download(fmt: str):
    if not _signed_in():
        return _login_page(401)
    if fmt not in ("csv", "xlsx"):
        return _page("มีเฉพาะ CSV และ XLSX / CSV or XLSX only.", 404)
    return audit_file(fmt)


assert set(SHORTLIST_TH) == set(SHORTLISTS)

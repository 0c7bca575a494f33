"""The central office's API, behind a central-office key (`Authorization: Bearer <key>`): every alert
with its age and filters, silences, dead letters, and the directory (load a CSV, export it masked)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import Blueprint, Response, current_app, jsonify, request

from services.notify.actions import AlertNotFound
from services.notify.directory import DirectoryFileError, parse_directory, to_csv
from services.notify.inbox import parse_filter
from services.notify.lifecycle import STATUSES, Alert, TransitionError
from services.notify.outbox import DEAD
from services.notify.praise_centre import COLUMNS, centre_rows
from services.notify.praise_store import PraiseChangeError
from services.notify.rules import RULES
from services.notify.schemas import NoteSchema, SilenceSchema, load_body
from shared.errors import ApiError
from shared.spreadsheet import csv_bytes, xlsx_bytes
from shared.timeutil import bangkok_day, iso_utc
from shared.web import parse_json_body, read_body

bp = Blueprint("centre", __name__)
MAX_CSV_BYTES = 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ctx():
    return current_app.extensions["notify"]


@bp.before_request
def _central_office_only() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="sangsuk-notify-centre"'}
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(401, "unauthenticated", "send the central-office key as 'Authorization: Bearer <key>'",
                       headers=challenge)
    digest = hashlib.sha256(key.strip().encode()).digest()
    known = [hashlib.sha256(k.encode()).digest() for k in _ctx().notify.config.central_office_keys]
    if not any(hmac.compare_digest(digest, k) for k in known):
        raise ApiError(401, "unauthenticated", "the central-office key is not known", headers=challenge)


def alert_json(alert: Alert, now) -> dict:
    return {"id": alert.id, "district_code": alert.district, "rule": alert.rule, "status": alert.status,
            "firing": alert.firing, "opened_at": iso_utc(alert.opened_at), "age_s": round(alert.age(now)),
            "figures": alert.figures, "acknowledged_at": alert.acknowledged_at and iso_utc(alert.acknowledged_at),
            "acknowledge_note": alert.acknowledge_note, "acknowledged_by": alert.acknowledged_by,
            "resolved_at": alert.resolved_at and iso_utc(alert.resolved_at), "resolve_note": alert.resolve_note,
            "resolved_by": alert.resolved_by, "escalated_at": alert.escalated_at and iso_utc(alert.escalated_at),
            "events_sent": sorted(alert.notified)}


@bp.get("/v1/alerts")
def list_alerts():
    ctx = _ctx()
    status, district = request.args.get("status"), request.args.get("district")
    province, rule = request.args.get("province"), request.args.get("rule")
    problems: dict[str, list[str]] = {}
    if status and status not in STATUSES:
        problems["status"] = [f"one of {', '.join(STATUSES)}"]
    if rule and rule not in RULES:
        problems["rule"] = [f"one of {', '.join(RULES)}"]
    if district and district not in ctx.notify.registry:
        problems["district"] = ["not a district code of the programme"]
    in_province = {d.code for d in ctx.notify.registry if d.province_code == province} if province else None
    if province and not in_province:
        problems["province"] = ["not a province code of the programme"]
    if problems:
        raise ApiError(400, "invalid_filter", "fix the query parameters", fields=problems)
    alerts = ctx.notify.store.list_alerts(status=status, district=district, province_districts=in_province)
    if rule:
        alerts = [a for a in alerts if a.rule == rule]
    now = ctx.notify.clock()
    return jsonify({"alerts": [alert_json(a, now) for a in alerts], "count": len(alerts)})


@bp.get("/v1/alerts/<alert_id>")
def get_alert(alert_id: str):
    try:
        return jsonify(alert_json(_ctx().actions.get(alert_id), _ctx().notify.clock()))
    except AlertNotFound as exc:
        raise ApiError(404, "unknown_alert", str(exc)) from exc


def _note_body() -> str:
    return load_body(NoteSchema(), parse_json_body(what="the note"), '{"note": "..."}')["note"]


@bp.post("/v1/alerts/<alert_id>/<action>")
def act(alert_id: str, action: str):
    if action not in ("acknowledge", "resolve"):
        raise ApiError(404, "not_found", "actions are acknowledge and resolve")
    ctx = _ctx()
    note = _note_body()
    try:
        alert = getattr(ctx.actions, action)(alert_id, note, "centre")
    except AlertNotFound as exc:
        raise ApiError(404, "unknown_alert", str(exc)) from exc
    except TransitionError as exc:
        raise ApiError(400 if "note" in str(exc) else 409, "invalid_transition", str(exc)) from exc
    return jsonify(alert_json(alert, ctx.notify.clock()))


@bp.post("/v1/silences")
def add_silence():
    ctx = _ctx()
    body = load_body(SilenceSchema(), parse_json_body(what="the silence"),
                     '{"district_code", "rule"?, "until" or "hours", "note"}')
    try:
        until = body["until"] if "until" in body else ctx.notify.clock() + timedelta(hours=body["hours"])
        silence = ctx.actions.silence(body["district_code"], body["rule"], until, body["note"], "centre")
    except (ValueError, OverflowError) as exc:
        raise ApiError(400, "invalid_silence", str(exc)) from exc
    return jsonify({"id": silence.id, "district_code": silence.district, "rule": silence.rule,
                    "until": iso_utc(silence.until), "note": silence.note}), 201


@bp.post("/v1/digest/<code>/send")
def digest_send_now(code: str):
    """The centre sends a district's digest now (the last seven days); at most once a minute per district."""
    ctx = _ctx()
    if code not in ctx.notify.registry:
        raise ApiError(404, "not_found", "no such district in the programme")
    if not ctx.notify.store.district_readers(code):
        raise ApiError(409, "no_receiver", "the directory names no chief or deputy for this district")
    queued = ctx.notify.digest().send_now(code, ctx.notify.clock())
    return jsonify({"district": code, "queued": queued}), 202


@bp.get("/v1/praise")
def praise_across_districts():
    """The most praised units and people (`?from=&to=` Bangkok days, at most 92; `group`, `province`;
    `format=json|csv|xlsx`): staff names, so for the central office only."""
    try:
        return praise_export(request.args)
    except PraiseQueryError as exc:
        raise ApiError(400, "bad_request", str(exc)) from None


@bp.put("/v1/praise/units/<code>")
def praise_units(code: str):
    """A district's own units (JSON list of `{id, th, en, aliases}`), added to the defaults for its praise."""
    ctx = _ctx()
    if code not in ctx.notify.registry:
        raise ApiError(404, "not_found", "no such district in the programme")
    try:
        units = ctx.praise.set_units(code, parse_json_body(what="the units"))
    except PraiseChangeError as exc:
        raise ApiError(400, "bad_request", str(exc)) from None
    return jsonify({"district": code, "units": units})


class PraiseQueryError(ValueError):
    """A value of the praise query refused (named in the message)."""


def praise_export(args) -> Response:
    """The centre's praise table as JSON, CSV or XLSX: shared by the API (Bearer key) and the centre's
    browser view (its session), which decide who may ask."""
    ctx = _ctx()
    registry = ctx.notify.registry
    chosen, problems = parse_filter({k: args.get(k, "") for k in ("from", "to")}, bangkok_day(ctx.notify.clock()))
    group, province = args.get("group") or None, args.get("province") or None
    fmt = args.get("format", "json")
    if group and group not in {d.size_group for d in registry}:
        problems.append("group")
    if province and province not in {d.province_code for d in registry}:
        problems.append("province")
    if fmt not in ("json", "csv", "xlsx"):
        problems.append("format")
    if problems:
        raise PraiseQueryError("not valid: " + ", ".join(problems))
    rows = centre_rows(ctx.feedback.across_districts(chosen.first, chosen.last), registry, ctx.praise.directory,
                       size_group=group, province=province)
    name = f"praise-{chosen.first.isoformat()}-{chosen.last.isoformat()}"
    if fmt == "csv":
        return _download(csv_bytes(COLUMNS, rows), "text/csv; charset=utf-8", f"{name}.csv")
    if fmt == "xlsx":
        return _download(xlsx_bytes(COLUMNS, rows, "praise"), XLSX, f"{name}.xlsx")
    return jsonify({"from": chosen.first.isoformat(), "to": chosen.last.isoformat(),
                    "rows": [dict(zip(COLUMNS, r, strict=True)) for r in rows]})


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/v1/silences")
def list_silences():
    ctx = _ctx()
    return jsonify({"silences": [{"id": s.id, "district_code": s.district, "rule": s.rule, "until": iso_utc(s.until),
                                  "note": s.note, "created_by": s.created_by}
                                 for s in ctx.notify.store.active_silences(ctx.notify.clock())]})


@bp.get("/v1/deliveries/dead")
def dead_letters():
    """Messages given up on: receiver by directory key, never the address."""
    docs = _ctx().notify.store.outbox.find({"state": DEAD}).sort("dead_at", -1).limit(500)
    return jsonify({"dead": [{"message_id": d["_id"], "receiver": d["contact"], "transport": d["transport"],
                              "attempts": d.get("attempts"), "reason": d.get("last_error"),
                              "dead_at": d.get("dead_at") and iso_utc(d["dead_at"]), "events": d.get("keys", [])}
                             for d in docs]})


@bp.put("/v1/directory")
def load_directory():
    ctx = _ctx()
    if request.mimetype != "text/csv":
        raise ApiError(415, "unsupported_media_type", "send the directory as text/csv")
    raw = read_body()  # a chunked body past the limit is refused, not cut short and loaded as the whole file
    if len(raw) > MAX_CSV_BYTES:
        raise ApiError(413, "payload_too_large", f"the directory file is larger than {MAX_CSV_BYTES // 1024} KiB")
    try:
        contacts = parse_directory(raw.decode("utf-8"), ctx.notify.registry,
                                   allow_private=ctx.notify.config.webhook_allow_private)
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_encoding", "the file must be UTF-8") from exc
    except DirectoryFileError as exc:
        raise ApiError(422, "directory_refused", "the file was refused whole; fix every problem listed",
                       fields={"_file": exc.problems}) from exc
    return jsonify(ctx.notify.store.replace_directory(contacts))


@bp.get("/v1/directory")
def export_directory():
    return Response(to_csv(_ctx().notify.store.contacts(), masked=True), mimetype="text/csv")

"""The centre's JSON API over what citizens said, behind the central-office key (as centre.py):
comment search, topic counts and trends, and the service-improvement report (JSON, CSV, XLSX)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from services.notify.centre import _central_office_only
from services.notify.feedback_query import FeedbackQuery, parse_query
from services.notify.feedback_search import MAX_PAGE, search, terms
from services.notify.improvement_report import as_table, header, report_rows, totals
from services.notify.topic_stats import summarise, summary_json
from shared.errors import ApiError
from shared.spreadsheet import csv_bytes, xlsx_bytes
from shared.timeutil import bangkok_day

bp = Blueprint("centre_feedback", __name__)
bp.before_request(_central_office_only)
MAX_OFFSET = 10_000
TYPES = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _notify():
    return current_app.extensions["notify"].notify


def query_from_request() -> FeedbackQuery:
    notify = _notify()
    return parse_query(request.args, notify.registry, bangkok_day(notify.clock()))


def paging() -> tuple[int, int]:
    """`limit` 1-MAX_PAGE (50 unless given) and `offset` 0-MAX_OFFSET, or 400 invalid_paging."""
    limit_text, offset_text = request.args.get("limit", "50"), request.args.get("offset", "0")
    if not (limit_text.isdigit() and 1 <= int(limit_text) <= MAX_PAGE and offset_text.isdigit()
            and int(offset_text) <= MAX_OFFSET):
        raise ApiError(400, "invalid_paging", f"limit is 1-{MAX_PAGE}, offset 0-{MAX_OFFSET}")
    return int(limit_text), int(offset_text)


def period(query: FeedbackQuery) -> dict:
    return {"from": query.first.isoformat(), "to": query.last.isoformat(), "days": query.days}


@bp.get("/v1/comments")
def comments():
    query = query_from_request()
    limit, offset = paging()
    notify = _notify()
    found, more = search(notify.feedback, notify.registry, query, limit, offset)
    return jsonify({"period": period(query), "terms": terms(query.q), "comments": found, "more": more,
                    "limit": limit, "offset": offset})


def topic_summary(query: FeedbackQuery) -> dict:
    """Counts over the period's matching comments, with 'worsens most' against the period before."""
    from services.notify.feedback_search import documents, matcher

    notify = _notify()
    keep_now, keep_before = matcher(query, notify.registry), matcher(query.before(), notify.registry)
    now = summarise((d for d in documents(notify.feedback, query) if keep_now(d)), notify.registry)
    before_query = query.before()
    before = summarise((d for d in documents(notify.feedback, before_query) if keep_before(d)), notify.registry)
    return {"period": period(query), "period_before": period(before_query),
            **summary_json(now, before, notify.registry)}


@bp.get("/v1/topics")
def topics():
    return jsonify(topic_summary(query_from_request()))


def report(query: FeedbackQuery) -> list[dict]:
    notify = _notify()
    return report_rows(notify.tally, notify.feedback, notify.registry, query)


def report_file(query: FeedbackQuery, kind: str) -> Response:
    rows = report(query)
    title = f"{query.first.isoformat()}_{query.last.isoformat()}"
    body = csv_bytes(header(), as_table(rows)) if kind == "csv" else xlsx_bytes(header(), as_table(rows), "report")
    response = Response(body, content_type=TYPES[kind])
    response.headers["Content-Disposition"] = f'attachment; filename="sangsuk-service-improvement-{title}.{kind}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/v1/reports/service-improvement.<kind>")
def service_improvement(kind: str):
    if kind not in ("json", *TYPES):
        raise ApiError(404, "unknown_report", "the report is service-improvement.json, .csv or .xlsx")
    query = query_from_request()
    if kind == "json":
        rows = report(query)
        return jsonify({"period": period(query), "totals": totals(rows), "districts": rows})
    return report_file(query, kind)

"""GET /v1/exports/districts.csv|.xlsx: the central office's file, behind its API key."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from pymongo.errors import PyMongoError

from services.ranking import export
from services.ranking.api import store_unavailable
from shared.errors import ApiError

bp = Blueprint("ranking_exports", __name__)
bp.register_error_handler(PyMongoError, store_unavailable)

TYPES = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.get("/v1/exports/districts.<kind>")
def districts(kind: str):
    ctx = current_app.extensions["ranking"]
    if kind not in TYPES:
        raise ApiError(404, "unknown_export", f"exports are districts.csv and districts.xlsx, not districts.{kind}")
    ctx.exports_keys.check(request.headers.get("Authorization"))
    view = ctx.live.view()
    table = export.rows(view.figures, ctx.registry, view.formula)
    body = export.to_csv(table) if kind == "csv" else export.to_xlsx(table)
    response = Response(body, content_type=TYPES[kind])
    response.headers["Content-Disposition"] = f'attachment; filename="sangsuk-districts-{view.day}.{kind}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response

"""GET /v1/districts/<code>/score: the stored standing without comments, or zeros for a district with no
votes yet. The figures count official votes only; `flagged` per window counts votes kept apart."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from services.scoring import domain
from shared.errors import ApiError
from shared.timeutil import bangkok_day, utcnow

bp = Blueprint("scores", __name__)


@bp.get("/v1/districts/<code>/score")
def district_score(code: str):
    ctx = current_app.extensions["scoring"]
    district = ctx.registry.get(code)
    if district is None:
        raise ApiError(404, "unknown_district", f"no district with code {code!r} in the programme")
    standing = ctx.store.standing(code)
    if standing is None:
        today = bangkok_day(utcnow())
        standing = domain.standing(code, {}, ctx.windows.at(today), today)
    # A public route: comments are for those entitled to them (chiefs, central office), never here.
    body = standing.public()
    body["name_th"], body["name_en"] = district.name_th, district.name_en
    return jsonify(body)

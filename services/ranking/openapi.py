"""The OpenAPI document of the ranking service (served at /openapi.json)."""

from __future__ import annotations

from apispec import APISpec

from services.ranking.domain import GROUPS, WINDOWS

MOVEMENT = {"type": "object", "nullable": True, "description": "Against yesterday's closing snapshot; null "
            "when the district has no rank today", "properties": {
                "status": {"type": "string", "enum": ["up", "down", "same", "new"]},
                "places": {"type": "integer"}, "previous_rank": {"type": "integer", "nullable": True}}}
FORMULA = {"type": "object", "properties": {"name": {"type": "string", "enum": ["bayes", "mean", "lower_bound"]},
                                            "params": {"type": "object", "additionalProperties": {"type": "number"}},
                                            "min_sources": {"type": "integer", "description": "distinct sources "
                                                            "a district's votes must come from (absent: 1)"}}}
ENTRY = {"type": "object", "properties": {
    "rank": {"type": "integer", "nullable": True, "description": "1224 ranking; null while ineligible"},
    "district_code": {"type": "string"}, "name_th": {"type": "string"}, "name_en": {"type": "string"},
    "province_th": {"type": "string"}, "votes": {"type": "integer"},
    "mean": {"type": "number", "nullable": True}, "score": {"type": "number", "nullable": True},
    "eligible": {"type": "boolean"}, "votes_needed": {"type": "integer"},
    "sources_needed": {"type": "integer", "description": "distinct sources (voters, kiosk keys) still missing"},
    "movement": MOVEMENT}}
ERROR = {"type": "object", "required": ["error", "message"], "properties": {
    "error": {"type": "string"}, "message": {"type": "string"},
    "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}}


def _error(description: str) -> dict:
    schema = {"$ref": "#/components/schemas/Error"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ok(description: str, schema: dict) -> dict:
    return {"description": description, "headers": {"ETag": {"schema": {"type": "string"}},
                                                    "Cache-Control": {"schema": {"type": "string"}}},
            "content": {"application/json": {"schema": schema}}}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def build_spec() -> dict:
    spec = APISpec(title="Amphoe Sang Suk ranking API", version="1.0.0", openapi_version="3.0.3",
                   info={"description": "Size-group leaderboards of the 878 districts, each district's rank and "
                                        "history, verifiable award snapshots, exports for the central office. "
                                        "Errors are JSON: {error, message, fields}. 304 on a matching If-None-Match."})
    spec.components.schema("Error", ERROR)
    spec.components.schema("Entry", ENTRY)
    spec.components.security_scheme("centralOfficeKey", {"type": "http", "scheme": "bearer"})
    board = {"type": "object", "properties": {
        "group": {"type": "string"}, "window": {"type": "string"}, "formula": FORMULA,
        "as_of": {"type": "string", "nullable": True}, "total": {"type": "integer"}, "page": {"type": "integer"},
        "per_page": {"type": "integer"}, "pages": {"type": "integer"},
        "entries": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}}}}
    spec.path(path="/v1/leaderboards/{group}", operations={"get": {
        "summary": "A size group's leaderboard: eligible districts ranked, then the ineligible ones",
        "parameters": [
            {"name": "group", "in": "path", "required": True, "schema": {"type": "string", "enum": list(GROUPS)}},
            _query("window", {"type": "string", "enum": list(WINDOWS), "default": "campaign"}, "the window"),
            _query("province", {"type": "string", "pattern": "^[0-9]{2}$"}, "only this province's districts "
                   "(ranks stay those of the whole group)"),
            _query("page", {"type": "integer", "minimum": 1, "default": 1}, "page number"),
            _query("per_page", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}, "entries a page")],
        "responses": {"200": _ok("The leaderboard", board), "304": {"description": "Not modified"},
                      "400": _error("Unknown window or parameter, bad paging"),
                      "404": _error("Unknown group or province")}}})
    window_rank = {"type": "object", "properties": {
        "rank": {"type": "integer", "nullable": True}, "score": {"type": "number", "nullable": True},
        "mean": {"type": "number", "nullable": True}, "votes": {"type": "integer"}, "eligible": {"type": "boolean"},
        "votes_needed": {"type": "integer"}, "sources_needed": {"type": "integer"}, "movement": MOVEMENT,
        "history": {"type": "array", "items": {"type": "object", "properties": {
            "day": {"type": "string", "format": "date"}, "rank": {"type": "integer", "nullable": True}}}}}}
    spec.path(path="/v1/districts/{code}/rank", operations={"get": {
        "summary": "A district's group, and per window its rank, score, mean, votes and daily rank history",
        "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": _ok("The district's ranks", {"type": "object", "properties": {
            "district_code": {"type": "string"}, "group": {"type": "string"}, "formula": FORMULA,
            "windows": {"type": "object", "additionalProperties": window_rank}}}),
            "304": {"description": "Not modified"}, "404": _error("Unknown district")}}})
    spec.path(path="/v1/awards/{name}", operations={"get": {
        "summary": "A closed award: the frozen ranking of each group and the SHA-256 of its canonical JSON",
        "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": _ok("The snapshot", {"type": "object", "properties": {
            "name": {"type": "string"}, "sha256": {"type": "string"}, "snapshot": {"type": "object"}}}),
            "400": _error("Malformed name"), "404": _error("No such award")}}})
    for kind, mime in (("csv", "text/csv"), ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml"
                                                      ".sheet")):
        spec.path(path=f"/v1/exports/districts.{kind}", operations={"get": {
            "summary": f"All 878 districts as {kind.upper()} (central office only)",
            "security": [{"centralOfficeKey": []}],
            "responses": {"200": {"description": "The file", "content": {mime: {}}},
                          "401": _error("Missing or unknown key"), "403": _error("A voting channel's key"),
                          "503": _error("Exports not configured on this server")}}})
    return spec.to_dict()

"""The OpenAPI document, generated from the same marshmallow schemas that validate requests."""

from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from shared.api_schemas import (
    BatchRequestSchema,
    BatchResultSchema,
    ErrorSchema,
    VoteAcceptedSchema,
    VoteRequestSchema,
)


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": "Error"}}}


def build_spec() -> dict:
    spec = APISpec(
        title="Amphoe Sang Suk ingest API", version="1.0.0", openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Channels post citizens' happiness votes (1–5) for the 878 DOPA districts. "
                             "Errors are JSON: {error, message, fields}."},
    )
    spec.components.security_scheme("channelKey", {"type": "http", "scheme": "bearer"})
    spec.components.schema("VoteRequest", schema=VoteRequestSchema)
    spec.components.schema("BatchRequest", schema=BatchRequestSchema)
    spec.components.schema("VoteAccepted", schema=VoteAcceptedSchema)
    spec.components.schema("BatchResult", schema=BatchResultSchema)
    spec.components.schema("Error", schema=ErrorSchema)
    common = {
        "400": _error("Malformed JSON (duplicate keys, integers past 4,300 digits, lone surrogates…) or header"),
        "401": _error("Missing or unknown API key"), "403": _error("The key belongs to another channel"),
        "413": _error("Body over 64 KiB (batch: 1 MiB), however it is framed"),
        "415": _error("Not JSON"), "422": _error("Invalid fields"), "429": _error("Rate limited (Retry-After)"),
        "503": _error("Kafka or the store is unavailable; nothing was accepted (Retry-After)"),
    }
    idem = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"},
            "description": "A retry with the same key within 24 hours returns the first vote_id"}
    spec.path(path="/v1/votes", operations={"post": {
        "summary": "Submit one vote", "security": [{"channelKey": []}], "parameters": [idem],
        "requestBody": {"required": True, "content": {"application/json": {"schema": "VoteRequest"}}},
        "responses": {"202": {"description": "Kafka holds the vote",
                              "content": {"application/json": {"schema": "VoteAccepted"}}},
                      "409": _error("Already voted today, or the same key is in progress"), **common},
    }})
    spec.path(path="/v1/votes/batch", operations={"post": {
        "summary": "Submit up to 500 votes; one result per item", "security": [{"channelKey": []}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": "BatchRequest"}}},
        "responses": {"200": {"description": "Per-item results",
                              "content": {"application/json": {"schema": "BatchResult"}}}, **common},
    }})
    code = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"},
            "description": "DOPA district code, e.g. 3706"}
    html = {"description": "The page (Thai first; ?lang=en)", "content": {"text/html": {"schema": {"type": "string"}}}}
    spec.path(path="/d/{code}", operations={"get": {
        "summary": "The QR vote page of a district", "parameters": [code, {
            "name": "lang", "in": "query", "required": False, "schema": {"type": "string", "enum": ["th", "en"]}}],
        "responses": {"200": html, "404": {"description": "Not a programme district (HTML)"}},
    }})
    spec.path(path="/d/{code}/qr.png", operations={"get": {
        "summary": "The district's QR code (PUBLIC_BASE_URL/d/<code>) as PNG",
        "parameters": [code, {"name": "scale", "in": "query", "required": False,
                              "schema": {"type": "integer"}, "description": "Pixels per module, 2–16"}],
        "responses": {"200": {"description": "PNG", "content": {"image/png": {}}},
                      "404": {"description": "Not a programme district"}},
    }})
    spec.path(path="/d/{code}/qr.svg", operations={"get": {
        "summary": "The district's QR code as SVG", "parameters": [code],
        "responses": {"200": {"description": "SVG", "content": {"image/svg+xml": {}}},
                      "404": {"description": "Not a programme district"}},
    }})
    return spec.to_dict()

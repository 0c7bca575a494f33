"""HTTP API for channels: POST /v1/votes and /v1/votes/batch."""

from __future__ import annotations

import json
import re

from flask import Blueprint, current_app, jsonify, request
from marshmallow import ValidationError

from services.ingest import domain, metrics
from services.ingest.intake import Outcome, Submission
from shared.api_schemas import BatchRequestSchema
from shared.errors import ApiError, flatten_messages

bp = Blueprint("votes", __name__)

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def _ctx():
    return current_app.extensions["ingest"]


def _json_body() -> object:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type",
                       "send the vote as JSON with 'Content-Type: application/json'")
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ApiError(400, "malformed_json", "the body is not valid UTF-8") from exc
    except (json.JSONDecodeError, RecursionError) as exc:
        detail = ""
        if isinstance(exc, json.JSONDecodeError):
            detail = f" ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        raise ApiError(400, "malformed_json", f"the body is not valid JSON{detail}") from exc


def _require_object(body: object) -> dict:
    if not isinstance(body, dict):
        raise ApiError(422, "validation_failed", "the body must be a JSON object",
                       fields={"_body": ["must be a JSON object"]})
    return body


def _check_channel(data: dict, channel: str) -> None:
    claimed = data.get("channel", channel)
    if claimed != channel:
        raise ApiError(403, "wrong_channel",
                       f"this API key belongs to channel '{channel}' and cannot post votes for '{claimed}'",
                       fields={"channel": [f"must be '{channel}' for this key"]})


def throttle_public_channel(channel: str, amount: int) -> None:
    ctx = _ctx()
    if channel not in ctx.config.ip_throttled_channels:
        return
    retry_after = ctx.rate_limit(request.remote_addr or "unknown", amount)
    if retry_after is not None:
        metrics.VOTES_REJECTED.labels(channel, "rate_limited").inc(amount)
        raise ApiError(429, "rate_limited",
                       f"too many votes from this address; the limit is {ctx.config.ip_limit_per_minute} "
                       "per minute", headers={"Retry-After": str(int(retry_after))})


def _respond(outcome: Outcome):
    headers = {}
    if outcome.retry_after:
        headers["Retry-After"] = str(outcome.retry_after)
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return jsonify(outcome.body()), outcome.status, headers


@bp.post("/v1/votes")
def post_vote():
    ctx = _ctx()
    channel = ctx.keys.channel_for(request.headers.get("Authorization"))
    body = _require_object(_json_body())
    key = request.headers.get("Idempotency-Key")
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        raise ApiError(400, "invalid_idempotency_key",
                       "Idempotency-Key must be 1–200 printable ASCII characters without spaces",
                       fields={"Idempotency-Key": ["1–200 printable ASCII characters"]})
    try:
        data = ctx.vote_schema.load(body)
    except ValidationError as exc:
        metrics.VOTES_REJECTED.labels(channel, "validation").inc()
        raise ApiError(422, "validation_failed", "the vote has invalid fields; see 'fields'",
                       fields=flatten_messages(exc.messages)) from exc
    _check_channel(data, channel)
    throttle_public_channel(channel, 1)
    submission = Submission(data, key, domain.fingerprint(body) if key else None)
    [outcome] = ctx.intake.submit(channel, [submission])
    return _respond(outcome)


@bp.post("/v1/votes/batch")
def post_batch():
    ctx = _ctx()
    request.max_content_length = ctx.config.max_batch_body_bytes
    channel = ctx.keys.channel_for(request.headers.get("Authorization"))
    if "Idempotency-Key" in request.headers:  # silently ignoring it would promise what is not kept
        raise ApiError(400, "invalid_idempotency_key",
                       "a batch takes an idempotency_key per vote, not an Idempotency-Key header",
                       fields={"Idempotency-Key": ["not accepted on /v1/votes/batch"]})
    body = _require_object(_json_body())
    try:
        envelope = BatchRequestSchema().load(body)
    except ValidationError as exc:
        raise ApiError(422, "validation_failed", "the batch envelope is invalid; see 'fields'",
                       fields=flatten_messages(exc.messages)) from exc
    schema = ctx.batch_item_schema
    results: list[dict | None] = [None] * len(envelope["votes"])
    submissions, positions = [], []
    for i, item in enumerate(envelope["votes"]):
        try:
            if not isinstance(item, dict):
                raise ValidationError({"_schema": ["each vote must be a JSON object"]})
            data = schema.load(item)
            _check_channel(data, channel)
        except ValidationError as exc:
            metrics.VOTES_REJECTED.labels(channel, "validation").inc()
            results[i] = {"index": i, "status": 422, "error": "validation_failed",
                          "message": "this vote has invalid fields; see 'fields'",
                          "fields": flatten_messages(exc.messages)}
            continue
        except ApiError as exc:
            results[i] = {"index": i, "status": exc.status, **exc.body()}
            continue
        key = data.pop("idempotency_key", None)
        submissions.append(Submission(data, key, domain.fingerprint(item) if key else None))
        positions.append(i)
    if submissions:
        throttle_public_channel(channel, len(submissions))
        for i, outcome in zip(positions, ctx.intake.submit(channel, submissions), strict=True):
            results[i] = {"index": i, "status": outcome.status, **outcome.body()}
    accepted = sum(1 for r in results if r and r["status"] == 202)
    return jsonify({"accepted": accepted, "rejected": len(results) - accepted, "results": results}), 200

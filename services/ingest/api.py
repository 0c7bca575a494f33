"""HTTP API for channels: POST /v1/votes and /v1/votes/batch. The HTTP edge of the intake.

Here and only here an intake Outcome becomes an HTTP status.
"""

from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify, request
from marshmallow import ValidationError

from services.ingest.intake import Outcome, Result, Source, Submission
from shared.api_schemas import BatchRequestSchema
from shared.errors import ApiError, flatten_messages
from shared.web import has_lone_surrogate, parse_json_body

bp = Blueprint("votes", __name__)

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")

STATUS = {
    Result.ACCEPTED: 202, Result.REPLAYED: 202, Result.INVALID: 422, Result.WRONG_CHANNEL: 403,
    Result.DUPLICATE_KEY: 422, Result.KEY_REUSED: 422, Result.ALREADY_VOTED: 409, Result.IN_PROGRESS: 409,
    Result.RATE_LIMITED: 429, Result.KAFKA_UNAVAILABLE: 503, Result.STORE_UNAVAILABLE: 503,
}


def _ctx():
    return current_app.extensions["ingest"]


def _source() -> Source:
    channel, key_id = _ctx().keys.caller_for(request.headers.get("Authorization"))
    return Source(channel, address=request.remote_addr, key_id=key_id)


def outcome_body(outcome: Outcome) -> dict:
    if outcome.accepted:
        return {"vote_id": outcome.vote_id}  # a flag is for the central office, not for the sender
    body: dict = {"error": outcome.error, "message": outcome.message}
    if outcome.fields:
        body["fields"] = outcome.fields
    return body


def _respond(outcome: Outcome):
    headers = {}
    if outcome.retry_after:
        headers["Retry-After"] = str(outcome.retry_after)
    if outcome.result == Result.REPLAYED:
        headers["Idempotent-Replayed"] = "true"
    return jsonify(outcome_body(outcome)), STATUS[outcome.result], headers


@bp.post("/v1/votes")
def post_vote():
    source = _source()
    body = parse_json_body()
    key = request.headers.get("Idempotency-Key")
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        raise ApiError(400, "invalid_idempotency_key",
                       "Idempotency-Key must be 1–200 printable ASCII characters without spaces",
                       fields={"Idempotency-Key": ["1–200 printable ASCII characters"]})
    [outcome] = _ctx().intake.submit(source, [Submission(body, key)])
    return _respond(outcome)


@bp.post("/v1/votes/batch")
def post_batch():
    request.max_content_length = _ctx().config.max_batch_body_bytes
    source = _source()
    if "Idempotency-Key" in request.headers:  # silently ignoring it would promise what is not kept
        raise ApiError(400, "invalid_idempotency_key",
                       "a batch takes an idempotency_key per vote, not an Idempotency-Key header",
                       fields={"Idempotency-Key": ["not accepted on /v1/votes/batch"]})
    body = parse_json_body(check_text=False)  # a lone surrogate inside a vote is that vote's problem
    if isinstance(body, dict) and has_lone_surrogate(list(body)):
        raise ApiError(400, "invalid_unicode", "a key of the batch holds a lone UTF-16 surrogate; send valid Unicode")
    if not isinstance(body, dict):
        raise ApiError(422, "validation_failed", "the body must be a JSON object",
                       fields={"_body": ["must be a JSON object"]})
    try:
        envelope = BatchRequestSchema().load(body)
    except ValidationError as exc:  # the envelope only: each vote is judged alone by the intake
        raise ApiError(422, "validation_failed", "the batch envelope is invalid; see 'fields'",
                       fields=flatten_messages(exc.messages)) from exc
    outcomes = _ctx().intake.submit(source, [Submission(item) for item in envelope["votes"]], batch=True)
    if all(o.result == Result.RATE_LIMITED for o in outcomes):  # nothing was even judged: say it for the request
        return _respond(outcomes[0])
    results = [{"index": i, "status": STATUS[o.result], **outcome_body(o)} for i, o in enumerate(outcomes)]
    accepted = sum(1 for o in outcomes if o.accepted)
    return jsonify({"accepted": accepted, "rejected": len(results) - accepted, "results": results}), 200

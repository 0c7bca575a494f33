"""HTTP request and response schemas of the ingest API: the one source for validation and OpenAPI."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from shared.districts import Registry, default_registry
from shared.fields import CleanText, StrictInteger, UtcDateTime
from shared.timeutil import utcnow
from shared.vote_rules import (
    BATCH_MAX,
    CHANNELS,
    COMMENT_MAX,
    MAX_AGE_DAYS,
    MAX_FUTURE_SKEW_SECONDS,
    MAX_SCORE,
    MIN_SCORE,
    SERVICES,
    STAFF_MAX,
    VOTER_ID_MAX,
)

Clock = Callable[[], datetime]


class VoteRequestSchema(Schema):
    """One vote as a channel posts it. The raw `voter_id` never leaves ingest: it is HMAC-hashed."""

    class Meta:
        unknown = RAISE

    district_code = fields.String(
        required=True,
        validate=validate.Regexp(r"^\d{4}$", error="must be a 4-digit DOPA district code, e.g. \"3706\""),
        metadata={"description": "DOPA district code (2 digits province + 2 digits district)",
                  "example": "3706"},
    )
    score = StrictInteger(
        required=True,
        validate=validate.Range(MIN_SCORE, MAX_SCORE, error="must be from 1 to 5"),
        metadata={"description": "Happiness score: 1 very dissatisfied … 5 very satisfied", "example": 5},
    )
    comment = CleanText(
        max_length=COMMENT_MAX, load_default="",
        metadata={"description": "Praise, criticism or suggestion; personal data is redacted by ingest"},
    )
    staff = CleanText(
        max_length=STAFF_MAX, single_line=True, load_default=None, allow_none=True,
        metadata={"description": "Staff member or unit the citizen wants to praise"},
    )
    service = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(list(SERVICES)),
        metadata={"description": "What the citizen came for", "enum": list(SERVICES)},
    )
    channel = fields.String(
        validate=validate.OneOf(CHANNELS),
        metadata={"description": "Must match the channel of the API key; defaults to it"},
    )
    voter_id = CleanText(
        max_length=VOTER_ID_MAX, single_line=True, load_default=None, allow_none=True,
        metadata={"description": "The voter's identity on the channel (LINE userId, device cookie…). "
                                 "Hashed with a server secret on arrival and never stored raw."},
    )
    submitted_at = UtcDateTime(
        metadata={"description": "When the citizen voted (ISO 8601 with offset); defaults to arrival. "
                                 "Not in the future, not older than 7 days."},
    )

    def __init__(self, *args, registry: Registry | None = None, clock: Clock = utcnow, **kwargs):
        super().__init__(*args, **kwargs)
        self.registry = registry or default_registry()
        self.clock = clock

    def load(self, data, *, many=None, partial=None, unknown=None):
        """marshmallow's load, with a fast path for the common vote (issue 24: marshmallow's machinery was
        most of a batch vote's validation). The fast path only ever accepts: anything it does not recognise as
        plainly valid (a missing or odd field, `submitted_at`, a text with a control character) goes through
        marshmallow, so every error is marshmallow's (tests/unit/test_api_schemas_fast.py holds the two equal)."""
        if many is None and partial is None and unknown is None:
            fast = self._fast_load(data)
            if fast is not None:
                return fast
        return super().load(data, many=many, partial=partial, unknown=unknown)

    def _fast_load(self, data: object) -> dict | None:
        if type(data) is not dict or "submitted_at" in data or not data.keys() <= self.fields.keys():
            return None
        code, score = data.get("district_code"), data.get("score")
        if type(code) is not str or code not in self.registry:
            return None
        if type(score) is not int or not MIN_SCORE <= score <= MAX_SCORE:
            return None
        out: dict = {"district_code": code, "score": score}
        for name, default in _FAST_TEXTS:
            value = data.get(name, default)
            if value is None and not self.fields[name].allow_none:
                return None
            if value is not None:
                if type(value) is not str:
                    return None
                try:
                    value = self.fields[name].deserialize(value, name, data)
                except ValidationError:
                    return None
            out[name] = value
        service = data.get("service")
        if service is not None and (type(service) is not str or service not in SERVICES):
            return None
        out["service"] = service
        for name, allowed in self._fast_choices:
            if name in data:
                value = data[name]
                if type(value) is not str or not allowed(value):
                    return None
                out[name] = value
        return out

    _fast_choices: tuple = (("channel", CHANNELS.__contains__),)

    @validates_schema(skip_on_field_errors=False)
    def check_district_and_time(self, data: dict, **_kwargs) -> None:
        errors: dict[str, list[str]] = {}
        code = data.get("district_code")
        if code is not None and code not in self.registry:
            errors["district_code"] = [
                f"{code} is not one of the 878 programme districts (Bangkok khet are not in the programme)"
            ]
        submitted = data.get("submitted_at")
        if submitted is not None:
            now = self.clock()
            if submitted > now + timedelta(seconds=MAX_FUTURE_SKEW_SECONDS):
                errors["submitted_at"] = ["is in the future; check the device clock"]
            elif submitted < now - timedelta(days=MAX_AGE_DAYS):
                errors["submitted_at"] = [f"is older than {MAX_AGE_DAYS} days; such votes are not accepted"]
        if errors:
            raise ValidationError(errors)


# The text fields of a vote and what a missing one loads as (None: `null` is allowed too).
_FAST_TEXTS = (("comment", ""), ("staff", None), ("voter_id", None))
_BATCH_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


class BatchItemSchema(VoteRequestSchema):
    _fast_choices = (("channel", CHANNELS.__contains__), ("idempotency_key", _BATCH_KEY.match))

    idempotency_key = fields.String(
        validate=validate.Regexp(_BATCH_KEY, error="must be 1–200 printable ASCII characters without spaces"),
        metadata={"description": "Per-item idempotency key, same meaning as the Idempotency-Key header"},
    )


class BatchRequestSchema(Schema):
    """Only the envelope; items are validated one by one so bad items do not sink good ones."""

    class Meta:
        unknown = RAISE

    votes = fields.List(
        fields.Raw(allow_none=True), required=True,  # a null item is one bad vote, judged with the others
        validate=validate.Length(min=1, max=BATCH_MAX, error=f"must hold 1 to {BATCH_MAX} votes"),
        metadata={"description": f"Up to {BATCH_MAX} votes, each shaped like POST /v1/votes "
                                 "plus an optional idempotency_key"},
    )


class VoteAcceptedSchema(Schema):
    vote_id = fields.String(required=True)


class ErrorSchema(Schema):
    error = fields.String(required=True, metadata={"description": "Machine-readable error code"})
    message = fields.String(required=True, metadata={"description": "What went wrong and how to fix it"})
    fields_ = fields.Dict(
        data_key="fields", keys=fields.String(), values=fields.List(fields.String()),
        metadata={"description": "Reasons per field, when the body failed validation"},
    )


class BatchItemResultSchema(Schema):
    index = fields.Integer(required=True)
    status = fields.Integer(required=True, metadata={"description": "The HTTP status this item would get alone"})
    vote_id = fields.String()
    error = fields.String()
    message = fields.String()
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.List(fields.String()))


class BatchResultSchema(Schema):
    accepted = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    results = fields.List(fields.Nested(BatchItemResultSchema), required=True)

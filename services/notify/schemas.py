"""The JSON bodies the centre's API takes, as schemas: every field's type is checked before any code uses it.

A field of the wrong JSON type (a note that is an object, a rule that is a list, hours that are a string) is a
400 naming the field, never a `.strip()` or a dict lookup on whatever came.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validates_schema

from services.notify.lifecycle import MAX_NOTE
from shared.errors import ApiError, flatten_messages
from shared.fields import UtcDateTime

_TEXT = {"invalid": "must be a JSON string"}


class StrictNumber(fields.Float):
    """A JSON number (not a string or boolean, which a lenient parser would coerce), finite."""

    default_error_messages = {"invalid": "must be a JSON number (not a string or boolean)"}  # noqa: RUF012

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class NoteSchema(Schema):
    """`{"note": "..."}` for acknowledge and resolve; the note's rules (length, not blank) are the lifecycle's."""

    class Meta:
        unknown = RAISE

    note = fields.String(required=True, error_messages=_TEXT)


class SilenceSchema(Schema):
    """`{"district_code", "rule"?, "until" or "hours", "note"}`; what the values mean is the actions' to judge."""

    class Meta:
        unknown = RAISE

    district_code = fields.String(required=True, error_messages=_TEXT)
    rule = fields.String(load_default=None, allow_none=True, error_messages=_TEXT)
    until = UtcDateTime()
    hours = StrictNumber(allow_nan=False)
    note = fields.String(required=True, error_messages=_TEXT)

    @validates_schema
    def one_end(self, data: dict, **_kwargs) -> None:
        if ("until" in data) == ("hours" in data):
            raise ValidationError("give until (ISO 8601 with zone) or hours (a number), one of them", "until")
        if len(data.get("note", "")) > 4 * MAX_NOTE:  # the exact limit is the actions'; this bounds the work
            raise ValidationError(f"at most {MAX_NOTE} characters", "note")


def load_body(schema: Schema, body: object, shape: str) -> dict:
    """The body loaded by the schema, or a 400 naming each field that is missing, unknown or of the wrong type."""
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", f"send a JSON object: {shape}")
    try:
        return schema.load(body)
    except ValidationError as exc:
        raise ApiError(400, "invalid_body", f"fix the fields listed; the body is {shape}",
                       fields=flatten_messages(exc.messages)) from exc

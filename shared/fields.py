"""Strict marshmallow fields shared by the HTTP schemas and the event schemas."""

from __future__ import annotations

import unicodedata

from marshmallow import fields

# Newlines and tabs are ordinary in a comment typed into a textarea; every other control is refused.
_ALLOWED_CONTROLS = {"\n", "\t"}


class StrictInteger(fields.Integer):
    """An integer in JSON: refuses "5", 5.0 and true, which a lenient parser would coerce."""

    default_error_messages = {  # noqa: RUF012 (marshmallow's own convention)
        "invalid": "must be a JSON integer (not a string, decimal or boolean)",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return value


class CleanText(fields.String):
    """Trimmed, NFC-normalised text with a length limit counted after trimming; Thai kept intact."""

    default_error_messages = {  # noqa: RUF012
        "control": "contains a control character (code U+{code:04X}); send plain text",
        "too_long": "is {length} characters after trimming; the maximum is {maximum}",
        "multiline": "must be a single line",
    }

    def __init__(self, *, max_length: int, single_line: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length
        self.single_line = single_line

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
        for char in text:
            if unicodedata.category(char) == "Cc" and char not in _ALLOWED_CONTROLS:
                raise self.make_error("control", code=ord(char))
            if self.single_line and char in _ALLOWED_CONTROLS:
                raise self.make_error("multiline")
        if len(text) > self.max_length:
            raise self.make_error("too_long", length=len(text), maximum=self.max_length)
        return text


class UtcDateTime(fields.AwareDateTime):
    """ISO 8601 with an explicit offset (a naive time is ambiguous), normalised to UTC."""

    default_error_messages = {  # noqa: RUF012
        "invalid": "must be an ISO 8601 date-time with a timezone, e.g. 2026-11-21T09:30:00+07:00",
        "invalid_awareness": "must include a timezone offset (Z or +07:00)",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        from datetime import UTC

        return super()._deserialize(value, attr, data, **kwargs).astimezone(UTC)


def reject_unknown_message(name: str) -> str:
    return f"unknown field {name!r}; see /openapi.json for the fields this endpoint takes"

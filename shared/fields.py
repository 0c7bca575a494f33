"""Strict marshmallow fields shared by the HTTP schemas and the event schemas."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC

from marshmallow import fields

# Newlines and tabs are ordinary in a comment typed into a textarea; every other control is refused.
_ALLOWED_CONTROLS = {"\n", "\t"}
# What the per-character check below can refuse: C0 and C1 controls and lone surrogates (categories Cc, Cs).
# Text without any is accepted whole by one regex scan; only text with one is walked to name it.
_SUSPECT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class StrictInteger(fields.Integer):
    """An integer in JSON: refuses "5", 5.0 and true, which a lenient parser would coerce."""

    default_error_messages = {  # noqa: RUF012 (marshmallow's own convention)
        "invalid": "must be a JSON integer (not a string, decimal or boolean)",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return value


class StrictBoolean(fields.Boolean):
    """true or false in JSON: refuses 1, 0 and "true", which compare equal to booleans in Python."""

    default_error_messages = {"invalid": "must be a JSON boolean"}  # noqa: RUF012

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class CleanText(fields.String):
    """Trimmed, NFC-normalised text with a length limit counted after trimming; Thai kept intact."""

    default_error_messages = {  # noqa: RUF012
        "control": "contains a control character (code U+{code:04X}); send plain text",
        "surrogate": "contains a lone UTF-16 surrogate (U+{code:04X}), which is not text; send valid Unicode",
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
        if _SUSPECT.search(text) is None:  # the common case: a Python call per character was 1000 for a comment
            if len(text) > self.max_length:
                raise self.make_error("too_long", length=len(text), maximum=self.max_length)
            return text
        for char in text:
            category = unicodedata.category(char)
            if category == "Cs":
                raise self.make_error("surrogate", code=ord(char))
            if category == "Cc" and char not in _ALLOWED_CONTROLS:
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
        "overflow": "has no UTC equivalent (it falls outside years 1–9999 once converted); send a real time",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError as exc:  # 0001-01-01T00:00+14:00, 9999-12-31T23:59-14:00
            raise self.make_error("overflow") from exc


def reject_unknown_message(name: str) -> str:
    return f"unknown field {name!r}; see /openapi.json for the fields this endpoint takes"

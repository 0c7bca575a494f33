"""The one error shape every service answers with: {"error", "message", "fields"}."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error a client can act on; becomes a JSON response with its status."""

    def __init__(self, status: int, error: str, message: str, *, fields: dict[str, list[str]] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.error, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict to {"field": [reasons]} with dotted names."""
    from shared.fields import reject_unknown_message

    out: dict[str, list[str]] = {}
    if isinstance(messages, list):
        name = prefix or "_body"
        out[name] = [str(m) for m in messages]
        return out
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if key == "_schema":
            name = prefix or "_body"
        if isinstance(value, dict):
            out.update(flatten_messages(value, name))
        else:
            reasons = [str(m) for m in value]
            out[name] = [reject_unknown_message(str(key)) if r == "Unknown field." else r for r in reasons]
    return out

"""The public board's rank of a district, asked of ranking: the digest states no rank of its own making.

Ranking owns the formula, the minimum votes and the windows (docs/ranking.md); notify reads its
`GET /v1/districts/<code>/rank` over HTTP, so the chief's mail and the website cannot disagree. The answer
is checked against a schema before the digest reads a field of it: a peer that answers something else (an
older or newer ranking, a proxy's error page, a wrong type) makes the digest say the rank is unavailable,
never a crash or a rank made of whatever came.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Protocol

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from services.notify.schemas import StrictNumber
from shared.fields import StrictInteger

log = logging.getLogger(__name__)

# Ranking's answer for one district is ~1-2 KiB (three windows, 60 days of history each); more is not its answer.
MAX_ANSWER_BYTES = 256 * 1024
_COUNT = {"validate": validate.Range(min=0)}


class MovementSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(required=True, validate=validate.OneOf(["up", "down", "same", "new"]))
    places = StrictInteger(load_default=0, **_COUNT)
    previous_rank = StrictInteger(load_default=None, allow_none=True, validate=validate.Range(min=1))


class WindowRankSchema(Schema):
    """One window of the answer: what the digest reads (services/ranking/api.py, `district_rank`)."""

    class Meta:
        unknown = EXCLUDE

    rank = StrictInteger(load_default=None, allow_none=True, validate=validate.Range(min=1))
    ranked = StrictInteger(load_default=None, allow_none=True, **_COUNT)
    votes = StrictInteger(required=True, **_COUNT)
    mean = StrictNumber(load_default=None, allow_none=True, allow_nan=False)
    votes_needed = StrictInteger(load_default=0, **_COUNT)
    sources_needed = StrictInteger(load_default=0, **_COUNT)
    movement = fields.Nested(MovementSchema, load_default=None, allow_none=True)


class DistrictRankSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    district_code = fields.String(required=True, validate=validate.Regexp(r"^\d{4}$"))
    windows = fields.Dict(keys=fields.String(validate=validate.Length(max=16)), values=fields.Nested(WindowRankSchema),
                          required=True)


_SCHEMA = DistrictRankSchema()


class RankSource(Protocol):
    def district(self, code: str) -> dict | None: ...


def read_answer(raw: bytes, code: str) -> dict | None:
    """Ranking's answer as loaded by the schema, or None (logged with the reason) when it is not one."""
    try:
        loaded = _SCHEMA.load(json.loads(raw.decode("utf-8")))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        log.warning("ranking's answer is not JSON", extra={"district": code, "reason": type(exc).__name__})
        return None
    except (ValidationError, TypeError) as exc:  # TypeError: a JSON value that is not an object
        reason = json.dumps(getattr(exc, "messages", str(exc)), ensure_ascii=False, default=str)[:300]
        log.warning("ranking's answer does not fit its schema", extra={"district": code, "reason": reason})
        return None
    if loaded["district_code"] != code:
        log.warning("ranking answered for another district", extra={"district": code})
        return None
    return loaded


class RankingClient:
    """Ranking's internal API (RANKING_URL); None when it does not answer, or not with an answer (the digest
    then says so)."""

    def __init__(self, base_url: str, timeout_s: float = 5.0):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def district(self, code: str) -> dict | None:
        if not (code.isascii() and code.isdigit() and len(code) == 4):
            return None
        url = f"{self.base_url}/v1/districts/{code}/rank"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as response:
                raw = response.read(MAX_ANSWER_BYTES + 1)
        except (urllib.error.URLError, TimeoutError, ValueError, OSError) as exc:
            log.warning("ranking did not answer", extra={"district": code, "reason": str(exc)[:200]})
            return None
        if len(raw) > MAX_ANSWER_BYTES:
            log.warning("ranking's answer is too long", extra={"district": code, "limit": MAX_ANSWER_BYTES})
            return None
        return read_answer(raw, code)

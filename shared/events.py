"""The platform's events: `votes.v1`, `comments.v1`, `scores.v1` (see docs/events.md)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from marshmallow import EXCLUDE, Schema, fields, validate

from shared.fields import StrictBoolean, StrictInteger, UtcDateTime
from shared.timeutil import iso_utc
from shared.vote_rules import CHANNELS, MAX_SCORE, MIN_SCORE, SCHEMA_VOTES_V1, SERVICES


class DistrictEvent:
    """JSON on the wire, times as UTC ISO 8601, keyed by district code so that one district's
    events share a partition and stay in order."""

    district_code: str

    def to_json(self) -> dict:
        return {k: iso_utc(v) if isinstance(v, datetime) else v for k, v in asdict(self).items()}

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @property
    def key(self) -> bytes:
        return self.district_code.encode("ascii")


def _json_object(raw: bytes) -> dict:
    data = json.loads(raw.decode("utf-8"))
    if not isinstance(data, dict):
        raise ValueError("message is not a JSON object")
    return data


@dataclass(frozen=True)
class VoteEvent(DistrictEvent):
    vote_id: str
    district_code: str
    score: int
    comment: str
    staff: str | None
    service: str | None
    channel: str
    voter_key: str | None
    submitted_at: datetime
    received_at: datetime
    schema: str = SCHEMA_VOTES_V1
    # Past a cap or a burst rule at ingest (docs/ingest.md): published, but kept out of the official
    # figures and counted apart for the central office to review. Optional: absent means false.
    flagged: bool = False
    flag_reason: str | None = None


FLAG_REASONS = ("address_daily_cap", "address_burst", "key_daily_cap", "key_burst")


class VoteEventSchema(Schema):
    """Reads a `votes.v1` message. Unknown fields are ignored so producers may add optional ones."""

    class Meta:
        unknown = EXCLUDE

    schema = fields.String(required=True, validate=validate.Equal(SCHEMA_VOTES_V1))
    vote_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    district_code = fields.String(required=True, validate=validate.Regexp(r"^\d{4}$"))
    score = StrictInteger(required=True, validate=validate.Range(MIN_SCORE, MAX_SCORE))
    comment = fields.String(load_default="")
    staff = fields.String(load_default=None, allow_none=True)
    service = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(list(SERVICES)))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    voter_key = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    submitted_at = UtcDateTime(required=True)
    received_at = UtcDateTime(required=True)
    flagged = StrictBoolean(load_default=False)
    flag_reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


def parse_vote_event(raw: bytes) -> VoteEvent:
    """Bytes from Kafka to a VoteEvent; raises ValueError (incl. ValidationError) for a bad message."""
    return VoteEvent(**_VOTE_SCHEMA.load(_json_object(raw)))


SCHEMA_COMMENTS_V1 = "comments.v1"


@dataclass(frozen=True)
class CommentEvent(DistrictEvent):
    """A comment sent after the vote it belongs to (LINE: typed within 30 minutes of the score).

    Keyed by district code like the vote. Scoring attaches it to the vote with `vote_id`; the
    comment replaces the vote's (empty) comment. `comment_id` makes redelivery harmless.
    """

    comment_id: str
    vote_id: str
    district_code: str
    comment: str
    channel: str
    received_at: datetime
    schema: str = SCHEMA_COMMENTS_V1


class CommentEventSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    schema = fields.String(required=True, validate=validate.Equal(SCHEMA_COMMENTS_V1))
    comment_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    vote_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    district_code = fields.String(required=True, validate=validate.Regexp(r"^\d{4}$"))
    comment = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    received_at = UtcDateTime(required=True)


_VOTE_SCHEMA = VoteEventSchema()  # schemas are reusable; building one per message is slow
_COMMENT_SCHEMA = CommentEventSchema()


def parse_comment_event(raw: bytes) -> CommentEvent:
    return CommentEvent(**_COMMENT_SCHEMA.load(_json_object(raw)))


SCHEMA_SCORES_V1 = "scores.v1"


class ScoreWindowSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    first = fields.String(data_key="from", allow_none=True, required=True)
    last = fields.String(data_key="to", allow_none=True, required=True)
    votes = StrictInteger(required=True, validate=validate.Range(min=0))
    sum = StrictInteger(required=True, validate=validate.Range(min=0))
    mean = fields.Float(required=True)
    histogram = fields.Dict(keys=fields.String(), values=StrictInteger(), required=True)
    last_vote_at = fields.String(allow_none=True, required=True)


class ScoresEventSchema(Schema):
    """A `scores.v1` message: one district's standing after an applied batch (see docs/events.md)."""

    class Meta:
        unknown = EXCLUDE

    schema = fields.String(required=True, validate=validate.Equal(SCHEMA_SCORES_V1))
    district_code = fields.String(required=True, validate=validate.Regexp(r"^\d{4}$"))
    day = fields.String(required=True)
    as_of = UtcDateTime(required=True)
    windows = fields.Dict(keys=fields.String(), values=fields.Nested(ScoreWindowSchema), required=True)
    latest_comments = fields.List(fields.Dict(), load_default=list)
    # Optional (added compatibly): the highest votes.v1 offset of the district's partition this standing
    # reflects; it orders a district's standings (docs/events.md). None from a producer that predates it.
    votes_offset = StrictInteger(load_default=None, allow_none=True, validate=validate.Range(min=-1))


def scores_event_bytes(standing: dict, as_of: datetime) -> bytes:
    """A standing (as the scoring service computes it) as a `scores.v1` message, keyed by district."""
    body = {"schema": SCHEMA_SCORES_V1, "district_code": standing["district_code"], "day": standing["day"],
            "as_of": iso_utc(as_of), "windows": standing["windows"],
            "latest_comments": standing.get("latest_comments", [])}
    if "votes_offset" in standing:
        body["votes_offset"] = standing["votes_offset"]
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def parse_scores_event(raw: bytes) -> dict:
    data = json.loads(raw.decode("utf-8"))
    if not isinstance(data, dict):
        raise ValueError("message is not a JSON object")
    return _SCORES_SCHEMA.load(data)


_SCORES_SCHEMA = ScoresEventSchema()  # reused: building a schema per message doubled the parse (0.39 ms -> 0.19)


# ---------------------------------------------------------------- fast path for votes.v1 (scoring's hot loop)

_DISTRICT_CODE_RE = re.compile(r"^\d{4}$")  # the same patterns VoteEventSchema uses, matched the same way
_VOTER_KEY_RE = re.compile(r"^[0-9a-f]{64}$")
_SERVICE_NAMES = frozenset(SERVICES)
_CHANNEL_NAMES = frozenset(CHANNELS)


def _fast_utc(value: object) -> datetime | None:
    """UtcDateTime's parse (datetime.fromisoformat, offset required, to UTC) or None if it would refuse."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    offset = moment.utcoffset()
    if offset is None:
        return None
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # no UTC form: the schema refuses it (with its reason)
        return None


def load_vote_event_fast(data: dict) -> dict | None:
    """What `VoteEventSchema().load(data)` returns, or None where the schema would refuse.

    Why: marshmallow was ~40% of the scoring consumer's profiled time (28 µs a vote with json.loads;
    this: 5 µs). This checks the same rules by hand; on None the caller runs the schema to get its
    precise error (a dead letter's reason), so refusals keep marshmallow's wording.
    tests/unit/test_vote_event_fast.py holds the equivalence to the schema as a property test:
    change both together.
    """
    schema = data.get("schema")
    if not isinstance(schema, str) or schema != SCHEMA_VOTES_V1:
        return None
    vote_id = data.get("vote_id")
    if not isinstance(vote_id, str) or not 1 <= len(vote_id) <= 64:
        return None
    district = data.get("district_code")
    if not isinstance(district, str) or _DISTRICT_CODE_RE.match(district) is None:
        return None
    score = data.get("score")
    if isinstance(score, bool) or not isinstance(score, int) or not MIN_SCORE <= score <= MAX_SCORE:
        return None
    channel = data.get("channel")
    if not isinstance(channel, str) or channel not in _CHANNEL_NAMES:
        return None
    comment = data.get("comment", "")
    if not isinstance(comment, str):
        return None
    staff = data.get("staff")
    if staff is not None and not isinstance(staff, str):
        return None
    service = data.get("service")
    if service is not None and (not isinstance(service, str) or service not in _SERVICE_NAMES):
        return None
    voter_key = data.get("voter_key")
    if voter_key is not None and (not isinstance(voter_key, str) or _VOTER_KEY_RE.match(voter_key) is None):
        return None
    submitted_at = _fast_utc(data.get("submitted_at"))
    if submitted_at is None:
        return None
    received_at = _fast_utc(data.get("received_at"))
    if received_at is None:
        return None
    flagged = data.get("flagged", False)
    if not isinstance(flagged, bool):
        return None
    flag_reason = data.get("flag_reason")
    if flag_reason is not None and (not isinstance(flag_reason, str) or len(flag_reason) > 64):
        return None
    return {"schema": SCHEMA_VOTES_V1, "vote_id": vote_id, "district_code": district, "score": score,
            "comment": comment, "staff": staff, "service": service, "channel": channel,
            "voter_key": voter_key, "submitted_at": submitted_at, "received_at": received_at,
            "flagged": flagged, "flag_reason": flag_reason}

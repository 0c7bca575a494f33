"""The platform's events, each defined once: `votes.v1`, `comments.v1`, `ballots.v1`, `scores.v1`, `stories.v1`,
`stories.published.v1`, `stories.decisions.v1`.

Each contract is one frozen dataclass whose fields carry their wire rules (`wire(...)` metadata). From
that one definition come the marshmallow schema (the precise reason a message is refused), the fast
check the hot consumers use (the same rules by hand, ~5x cheaper than marshmallow), and the docs
(`tests/unit/test_event_contracts.py` holds docs/events.md's field tables to these classes). Bytes
from Kafka become an event in one way only: `decode(EventClass, raw)`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from marshmallow import EXCLUDE, Schema, ValidationError, validate
from marshmallow import fields as mf

from shared.fields import StrictBoolean, StrictInteger, UtcDateTime
from shared.timeutil import iso_utc
from shared.vote_rules import CHANNELS, MAX_SCORE, MIN_SCORE, SCHEMA_VOTES_V1, SERVICES

SCHEMA_COMMENTS_V1 = "comments.v1"
SCHEMA_BALLOTS_V1 = "ballots.v1"
SCHEMA_SCORES_V1 = "scores.v1"
SCHEMA_STORIES_V1 = "stories.v1"
SCHEMA_STORIES_PUBLISHED_V1 = "stories.published.v1"
SCHEMA_STORIES_DECISIONS_V1 = "stories.decisions.v1"
FLAG_REASONS = ("address_daily_cap", "address_burst", "key_daily_cap", "key_burst", "voter_daily_cap", "voter_burst")
DISTRICT_CODE = r"^\d{4}$"
_REQUIRED = object()


class EventError(ValueError):
    """A message that is not a valid event of its contract; `reason` is what a dead letter records."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def wire(kind: str, *, default: Any = _REQUIRED, nullable: bool = False, choices: tuple | None = None,
         pattern: str | None = None, length: tuple[int, int] | None = None, low: int | None = None,
         high: int | None = None,
         nested: type | None = None, doc: str = "") -> dict:
    """A field's wire rules. kind: str, int, float, bool, time, dict, list. `default` makes it optional."""
    return {"wire": {"kind": kind, "default": default, "nullable": nullable or default is None, "choices": choices,
                     "pattern": pattern, "length": length, "low": low, "high": high, "nested": nested, "doc": doc}}


@cache
def wire_fields(cls: type) -> tuple[tuple[str, dict], ...]:
    """(name, rules) of a contract's wire fields, in declaration order; `schema` included.

    Kept per class: `dataclasses.fields()` on every serialisation was 6 % of a batch vote's CPU (issue 24)."""
    return tuple((f.name, f.metadata["wire"]) for f in fields(cls) if "wire" in f.metadata)


def _iso(value: Any) -> Any:
    return iso_utc(value) if isinstance(value, datetime) else value


class DistrictEvent:
    """JSON on the wire, times as UTC ISO 8601, keyed by district code so that one district's
    events share a partition and stay in order."""

    district_code: str
    SCHEMA_NAME = ""

    def to_json(self) -> dict:
        return {name: _iso(getattr(self, name)) for name, _ in wire_fields(type(self))}

    def to_bytes(self) -> bytes:
        # Kept on the (frozen) event: ingest serialises a vote to refuse what cannot be, then again to
        # publish it, 20 % of a batch's CPU in issue 24's profile. `replace()` makes a new event, so a
        # changed vote_id or flag is serialised afresh.
        cached = self.__dict__.get("_bytes")
        if cached is None:
            cached = json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            object.__setattr__(self, "_bytes", cached)
        return cached

    @property
    def key(self) -> bytes:
        return self.district_code.encode("ascii")


# ---------------------------------------------------------------------------------------------- contracts

# The dataclasses are declared with `dataclasses.field(metadata=...)`; a helper keeps them readable.
def _f(rules: dict, default: Any = MISSING):
    return field(default=default, metadata=rules)


_CHANNEL = wire("str", choices=CHANNELS, doc="the channel of the API key that posted the vote")
_SERVICE = wire("str", default=None, choices=tuple(SERVICES), doc="what the citizen came for")


@dataclass(frozen=True)
class VoteEvent(DistrictEvent):
    """`votes.v1`: a vote as ingest accepted it (validated, redacted, the voter hashed)."""

    SCHEMA_NAME = SCHEMA_VOTES_V1
    vote_id: str = _f(wire("str", length=(1, 64), doc="assigned by ingest; unique per vote"))
    district_code: str = _f(wire("str", pattern=DISTRICT_CODE, doc="one of the 878 programme districts"))
    score: int = _f(wire("int", low=MIN_SCORE, high=MAX_SCORE, doc="1 very dissatisfied … 5 very satisfied"))
    comment: str = _f(wire("str", default="", doc="redacted at ingest; may be empty"))
    staff: str | None = _f(wire("str", default=None, doc="the staff member or unit praised (redacted)"))
    service: str | None = _f(_SERVICE)
    channel: str = _f(_CHANNEL)
    voter_key: str | None = _f(wire("str", default=None, pattern=r"^[0-9a-f]{64}$",
                                    doc="HMAC-SHA256 of the channel and the voter's identity"))
    submitted_at: datetime = _f(wire("time", doc="when the citizen voted; places the vote in its day"))
    received_at: datetime = _f(wire("time", doc="when ingest accepted it; its Bangkok day is the voter's day"))
    schema: str = _f(wire("str", doc="schema name"), SCHEMA_VOTES_V1)
    flagged: bool = _f(wire("bool", default=False, doc="set by ingest before scoring decided the flags (records "
                            "written then): such a vote stays flagged; new records leave it false"), False)
    flag_reason: str | None = _f(wire("str", default=None, length=(0, 64), doc="which rule flagged it (old records)"),
                                 None)
    source_key: str | None = _f(wire("str", default=None, pattern=r"^[0-9a-f]{64}$",
                                     doc="the hashed client: the voter_key on qr/web/line/facebook, an HMAC "
                                     "of the API key on kiosk/import; what eligibility counts distinct"), None)
    # What scoring's flag rules need (shared/flags.py), hashed under the server secret: never a raw identifier.
    address_key: str | None = _f(wire("str", default=None, pattern=r"^[0-9a-f]{32}$",
                                      doc="HMAC of the client address (qr, web): the address rules' subject"), None)
    key_ref: str | None = _f(wire("str", default=None, pattern=r"^[0-9a-f]{32}$",
                                  doc="HMAC of the API key that posted it (kiosk, import, the LINE and Facebook "
                                  "bots): the key rules' subject"), None)


@dataclass(frozen=True)
class CommentEvent(DistrictEvent):
    """`comments.v1`: a comment sent after the vote it belongs to (LINE: typed within 30 minutes), or the
    praise the citizen gave after it (LINE asks whom to praise after a vote of 4 or 5).

    Scoring attaches it to the vote with `vote_id`; `comment_id` makes redelivery harmless. A part left
    empty (`comment` "" on a praise, `staff` null on a comment) says nothing about that part: it never
    replaces what an earlier message of the same vote gave (shared.counting.FollowUp).
    """

    SCHEMA_NAME = SCHEMA_COMMENTS_V1
    comment_id: str = _f(wire("str", length=(1, 64), doc="unique; redelivery-safe"))
    vote_id: str = _f(wire("str", length=(1, 64), doc="the vote it belongs to"))
    district_code: str = _f(wire("str", pattern=DISTRICT_CODE, doc="the vote's district"))
    comment: str = _f(wire("str", doc="redacted as a vote's comment; \"\" on a praise alone"))
    channel: str = _f(_CHANNEL)
    received_at: datetime = _f(wire("time", doc="when ingest accepted the comment"))
    schema: str = _f(wire("str", doc="schema name"), SCHEMA_COMMENTS_V1)
    # Last, with a default: records written before it (and positional construction) stay valid.
    staff: str | None = _f(wire("str", default=None, doc="the staff member or unit "
                                "praised (redacted as a vote's `staff`); null when the message praises no one"), None)


# What scoring decided about a vote (ballots.v1 `decision`).
COUNTED, FLAGGED, REPEAT = "counted", "flagged", "repeat"
DECISIONS = (COUNTED, FLAGGED, REPEAT)
# A ballot is a vote decided (`vote`) or a comment that reached an already decided vote (`comment`).
BALLOT_VOTE, BALLOT_COMMENT = "vote", "comment"


@dataclass(frozen=True)
class BallotEvent(DistrictEvent):
    """`ballots.v1`: one vote as scoring decided it, or a comment joined later to a decided vote.

    Every reader of what citizens said or how many votes count follows these decisions instead of
    counting again (docs/events.md). Readers are idempotent by (`vote_id`, `kind`).
    """

    SCHEMA_NAME = SCHEMA_BALLOTS_V1
    vote_id: str = _f(wire("str", length=(1, 64), doc="the vote decided"))
    district_code: str = _f(wire("str", pattern=DISTRICT_CODE, doc="the vote's district"))
    kind: str = _f(wire("str", choices=(BALLOT_VOTE, BALLOT_COMMENT), doc="`vote` or a later `comment`"))
    decision: str = _f(wire("str", choices=DECISIONS, doc="`counted`, `flagged` (with `flag_reason`) or "
                            "`repeat` (the voter's day was held by an earlier vote)"))
    day: str = _f(wire("str", pattern=r"^\d{4}-\d{2}-\d{2}$", doc="the Bangkok day of `submitted_at`"))
    score: int = _f(wire("int", low=MIN_SCORE, high=MAX_SCORE, doc="1-5"))
    comment: str = _f(wire("str", doc="the redacted comment (a later one, for `kind` comment); may be empty"))
    submitted_at: datetime = _f(wire("time", doc="when the citizen voted"))
    channel: str | None = _f(wire("str", default=None, choices=CHANNELS,
                                  doc="the vote's channel (`vote`), the comment's (`comment`)"), None)
    service: str | None = _f(_SERVICE, None)
    staff: str | None = _f(wire("str", default=None, doc="the staff member or unit praised (redacted); "
                                "officials' personal data: for the chief and the centre only"), None)
    received_at: datetime | None = _f(wire("time", default=None, doc="when ingest accepted the vote "
                                           "(null on a `comment`)"), None)
    comment_at: datetime | None = _f(wire("time", default=None, doc="when the comment arrived; null without one"),
                                     None)
    flag_reason: str | None = _f(wire("str", default=None, length=(0, 64), doc="why it was flagged"), None)
    votes_offset: int = _f(wire("int", default=-1, low=-1, doc="the vote's offset in its votes.v1 partition"), -1)
    schema: str = _f(wire("str", doc="schema name"), SCHEMA_BALLOTS_V1)
    # Last, with a default: records written before it (and positional construction) stay valid.
    source_ref: str | None = _f(wire("str", default=None, pattern=r"^[0-9a-f]{32}$",
                                     doc="on a counted vote: its source (rule 7) as a pseudonym of this district "
                                     "(shared.counting.source_ref), what a reader counts distinct per district; "
                                     "null otherwise and on records written before it"), None)

    @property
    def counted(self) -> bool:
        return self.decision == COUNTED


@dataclass(frozen=True)
class ScoreWindow:
    """One window of a standing (a nested part of `scores.v1`)."""

    first: str | None = _f(wire("str", nullable=True, doc="inclusive Bangkok day; null = open"))  # wire: from
    last: str | None = _f(wire("str", nullable=True, doc="inclusive Bangkok day; null = open"))  # wire: to
    votes: int = _f(wire("int", low=0, doc="counted votes"))
    sum: int = _f(wire("int", low=0, doc="their scores' sum"))
    mean: float = _f(wire("float", doc="sum / votes, 4 places; 0.0 with no votes"))
    histogram: dict = _f(wire("dict", doc="scores 1-5 counted"))
    last_vote_at: str | None = _f(wire("str", nullable=True, doc="latest submitted_at in the window"))
    sources: int | None = _f(wire("int", default=None, low=0, doc="distinct sources of counted votes, counted "
                                  "up to MIN_SOURCES; null from a scoring older than the field"), None)


_WINDOW_KEYS = {"first": "from", "last": "to"}


@dataclass(frozen=True)
class ScoresEvent(DistrictEvent):
    """`scores.v1`: one district's standing after an applied batch (docs/events.md)."""

    SCHEMA_NAME = SCHEMA_SCORES_V1
    district_code: str = _f(wire("str", pattern=DISTRICT_CODE, doc="the district"))
    day: str = _f(wire("str", doc="the Bangkok day the windows were computed for"))
    as_of: datetime = _f(wire("time", doc="when scoring computed it"))
    windows: dict = _f(wire("dict", nested=ScoreWindow, doc="campaign, last_7_days, last_30_days"))
    latest_comments: list = _f(wire("list", default=(), doc="up to 10 redacted comments, newest first"), ())
    votes_offset: int | None = _f(wire("int", default=None, low=-1, doc="highest votes.v1 offset reflected"), None)
    schema: str = _f(wire("str", doc="schema name"), SCHEMA_SCORES_V1)

    def to_json(self) -> dict:
        body = super().to_json()
        body["latest_comments"] = list(self.latest_comments)
        if self.votes_offset is None:
            body.pop("votes_offset")
        return body


# A story's consent: may it be published, and how the citizen is credited (issue 21).
CREDITS = ("anonymous", "first_name", "initials")
STORY_TOLD, STORY_WITHDRAWN = "told", "withdrawn"
STORY_ID = r"^[0-9a-f]{32}$"
STORY_MAX = 3000
CREDIT_NAME_MAX = 40


class StoryKeyed:
    """Story events are keyed by story id, so a story's telling and its withdrawal stay in order."""

    story_id: str

    @property
    def key(self) -> bytes:
        return self.story_id.encode("ascii")


@dataclass(frozen=True)
class StoryEvent(StoryKeyed, DistrictEvent):
    """`stories.v1`: a story of service told after a vote with its consent, or the consent withdrawn.

    Produced by ingest only (QR page, LINE); the text is redacted before it reaches Kafka and no
    identifier beyond the vote's hashed voter is kept. Notify's moderation store is rebuilt from it.
    """

    SCHEMA_NAME = SCHEMA_STORIES_V1
    story_id: str = _f(wire("str", pattern=STORY_ID, doc="derived from the withdrawal code (a keyed hash)"))
    kind: str = _f(wire("str", choices=(STORY_TOLD, STORY_WITHDRAWN), doc="`told`, or consent `withdrawn`"))
    district_code: str = _f(wire("str", pattern=DISTRICT_CODE, doc="the vote's district"))
    channel: str = _f(_CHANNEL)
    at: datetime = _f(wire("time", doc="when ingest accepted the story or the withdrawal (the consent's time)"))
    vote_id: str | None = _f(wire("str", default=None, length=(1, 64), doc="the vote it follows (`told`)"), None)
    voter_key: str | None = _f(wire("str", default=None, pattern=r"^[0-9a-f]{64}$",
                                    doc="the hashed voter, as the vote keeps it"), None)
    text: str = _f(wire("str", default="", length=(0, STORY_MAX), doc="the story, redacted at ingest"), "")
    publish: bool = _f(wire("bool", default=False, doc="consent: may the platform publish it"), False)
    credit: str = _f(wire("str", default="anonymous", choices=CREDITS,
                          doc="consent: `anonymous`, `first_name` or `initials`"), "anonymous")
    credit_name: str | None = _f(wire("str", default=None, length=(1, CREDIT_NAME_MAX),
                                      doc="the credit shown (a first name or initials); null when anonymous"), None)
    consent_version: str = _f(wire("str", default="", length=(0, 16), doc="the consent wording's version"), "")
    schema: str = _f(wire("str", doc="schema name"), SCHEMA_STORIES_V1)


PUBLISHED, WITHDRAWN = "published", "withdrawn"


@dataclass(frozen=True)
class PublishedStoryEvent(StoryKeyed, DistrictEvent):
    """`stories.published.v1` (compacted, keyed by story id): what the public may see of a story now.

    Produced by notify only when the centre approves a consented story (the approved text, never the
    original) or when it leaves the public (withdrawn, unpublished): then `text` is empty.
    """

    SCHEMA_NAME = SCHEMA_STORIES_PUBLISHED_V1
    story_id: str = _f(wire("str", pattern=STORY_ID, doc="the story"))
    district_code: str = _f(wire("str", pattern=DISTRICT_CODE, doc="the district it is about"))
    status: str = _f(wire("str", choices=(PUBLISHED, WITHDRAWN), doc="`published`, or `withdrawn` from public"))
    at: datetime = _f(wire("time", doc="when the centre decided, or the withdrawal arrived"))
    text: str = _f(wire("str", default="", length=(0, STORY_MAX), doc="the approved text; empty when withdrawn"), "")
    credit: str | None = _f(wire("str", default=None, length=(1, CREDIT_NAME_MAX),
                                 doc="the credit shown; null for anonymous"), None)
    told_at: datetime | None = _f(wire("time", default=None, doc="when the story was told"), None)
    schema: str = _f(wire("str", doc="schema name"), SCHEMA_STORIES_PUBLISHED_V1)


# The centre's decisions on a story (notify's moderation); the rules are in services/notify/stories/moderation.py.
DECISIONS = ("edit", "approve", "reject", "shortlist")
SHORTLISTS = ("film", "award")
DECIDER_MAX, REASON_MAX = 80, 500


@dataclass(frozen=True)
class StoryDecisionEvent(StoryKeyed, DistrictEvent):
    """`stories.decisions.v1`: one decision of the centre on a story, acknowledged by Kafka before notify applies it.

    Produced and read by notify only (the centre's web process writes it; `sangsuk stories rebuild` replays it
    after stories.v1 into the moderation store). Keyed by story id, so a story's decisions stay in order. An
    edit's text is the centre's data, like the story's original in stories.v1: nothing public reads this topic.
    """

    SCHEMA_NAME = SCHEMA_STORIES_DECISIONS_V1
    decision_id: str = _f(wire("str", pattern=r"^[0-9a-f]{32}$", doc="unique per decision: applying is "
                                                                      "idempotent by it (the audit entry's id)"))
    story_id: str = _f(wire("str", pattern=STORY_ID, doc="the story decided on"))
    district_code: str = _f(wire("str", pattern=DISTRICT_CODE, doc="the story's district"))
    action: str = _f(wire("str", choices=DECISIONS, doc="`edit`, `approve`, `reject` or `shortlist`"))
    by: str = _f(wire("str", length=(1, DECIDER_MAX), doc="the moderator as the centre's form names them (what the "
                                                           "audit trail keeps)"))
    at: datetime = _f(wire("time", doc="when the centre decided"))
    text: str = _f(wire("str", default="", length=(0, STORY_MAX), doc="`edit`: the edited text, redacted; "
                                                                         "otherwise empty"), "")
    reason: str | None = _f(wire("str", default=None, length=(1, REASON_MAX), doc="`reject`: the reason"), None)
    shortlist: str | None = _f(wire("str", default=None, choices=SHORTLISTS, doc="`shortlist`: `film` or `award`"),
                               None)
    schema: str = _f(wire("str", doc="schema name"), SCHEMA_STORIES_DECISIONS_V1)


CONTRACTS: dict[str, type] = {c.SCHEMA_NAME: c for c in (VoteEvent, CommentEvent, BallotEvent, ScoresEvent,
                                                          StoryEvent, PublishedStoryEvent, StoryDecisionEvent)}


# ---------------------------------------------------------------------------------------------- one schema each

def _marshmallow_field(name: str, rules: dict, contract: type | None) -> mf.Field:
    kind = rules["kind"]
    checks: list = []
    if name == "schema" and contract is not None:
        checks.append(validate.Equal(contract.SCHEMA_NAME))
    if rules["choices"]:
        checks.append(validate.OneOf(list(rules["choices"])))
    if rules["pattern"]:
        checks.append(validate.Regexp(rules["pattern"]))
    if rules["length"]:
        checks.append(validate.Length(min=rules["length"][0], max=rules["length"][1]))
    if kind == "int" and rules["low"] is not None:
        checks.append(validate.Range(min=rules["low"], max=rules["high"]))
    options: dict = {"validate": checks, "allow_none": rules["nullable"]}
    if rules["default"] is _REQUIRED:
        options["required"] = True
    else:
        default = rules["default"]
        options["load_default"] = list(default) if isinstance(default, tuple) else default
    if _WINDOW_KEYS.get(name):
        options["data_key"] = _WINDOW_KEYS[name]
    if kind == "str":
        return mf.String(**options)
    if kind == "int":
        return StrictInteger(**options)
    if kind == "float":
        return mf.Float(**options)
    if kind == "bool":
        return StrictBoolean(**options)
    if kind == "time":
        return UtcDateTime(**options)
    if kind == "list":
        return mf.List(mf.Dict(), **options)
    if rules["nested"] is not None:
        return mf.Dict(keys=mf.String(), values=mf.Nested(schema_for(rules["nested"])), **options)
    return mf.Dict(keys=mf.String(), values=StrictInteger(), **options)


@cache
def schema_for(cls: type) -> Schema:
    """The marshmallow schema of a contract (built once: a schema per message doubled the parse)."""
    contract = cls if hasattr(cls, "SCHEMA_NAME") and cls.SCHEMA_NAME else None
    declared = {name: _marshmallow_field(name, rules, contract) for name, rules in wire_fields(cls)}
    schema_cls = Schema.from_dict(declared, name=f"{cls.__name__}Schema")
    schema_cls.Meta.unknown = EXCLUDE  # consumers ignore fields they do not know (compatible additions)
    return schema_cls(unknown=EXCLUDE)


# ---------------------------------------------------------------------------------------------- the fast check

class _Refused(Exception):
    pass


def _fast_utc(value: object) -> datetime:
    """UtcDateTime's parse (datetime.fromisoformat, offset required, to UTC) or _Refused."""
    if not isinstance(value, str) or not value:
        raise _Refused
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _Refused from None
    if moment.utcoffset() is None:
        raise _Refused
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # no UTC form: the schema refuses it (with its reason)
        raise _Refused from None


def _fast_float(value: object) -> float:
    """mf.Float's parse: float() of anything but a bool (numbers and numeric text), finite only."""
    if value is True or value is False:
        raise _Refused
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise _Refused from None
    if number != number or number in (_INF, -_INF):
        raise _Refused
    return number


_INF = float("inf")


def _fast_counts(value: object) -> dict:
    """mf.Dict(keys=String, values=StrictInteger): a JSON object of JSON integers, copied."""
    if not isinstance(value, dict):
        raise _Refused
    for key, count in value.items():
        if not isinstance(key, str) or isinstance(count, bool) or not isinstance(count, int):
            raise _Refused
    return dict(value)


def _fast_objects(value: object) -> list:
    """mf.List(mf.Dict()): a JSON array of JSON objects, each copied (shallow, as marshmallow does)."""
    if not isinstance(value, list):
        raise _Refused
    for item in value:
        if not isinstance(item, dict):
            raise _Refused
    return [dict(item) for item in value]


def _fast_nested(check: Callable[[dict], dict], value: object) -> dict:
    """mf.Dict(keys=String, values=Nested(schema)): each value checked by the nested contract's own plan."""
    if not isinstance(value, dict):
        raise _Refused
    loaded = {}
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, dict):
            raise _Refused
        loaded[key] = check(item)
    return loaded


_MISSING = object()


def _field_source(index: int, name: str, rules: dict, contract: type, env: dict) -> list[str]:
    """One field's rules by hand, as Python source, exactly as the schema applies them (held equal by the
    property tests in tests/unit/test_vote_event_fast.py, test_event_contracts.py and test_scores_event_fast.py)."""
    kind, var = rules["kind"], f"v{index}"
    if rules["default"] is _REQUIRED:
        missing = "raise _Refused"
    else:
        env[f"D{index}"] = rules["default"]
        # A tuple default is a list on the wire, as the schema's load_default (a fresh one each time)
        missing = f"{var} = list(D{index})" if isinstance(rules["default"], tuple) else f"{var} = D{index}"
    checks: list[str] = []
    if kind == "str":
        checks.append(f"if not isinstance({var}, str): raise _Refused")
        if name == "schema":
            checks.append(f"if {var} != {contract.SCHEMA_NAME!r}: raise _Refused")
        if rules["choices"]:
            env[f"C{index}"] = frozenset(rules["choices"])
            checks.append(f"if {var} not in C{index}: raise _Refused")
        if rules["pattern"]:
            env[f"P{index}"] = re.compile(rules["pattern"])
            checks.append(f"if P{index}.match({var}) is None: raise _Refused")
        if rules["length"]:
            low, high = rules["length"]
            checks.append(f"if not {low} <= len({var}) <= {high}: raise _Refused")
    elif kind == "int":
        checks.append(f"if isinstance({var}, bool) or not isinstance({var}, int): raise _Refused")
        if rules["low"] is not None:
            checks.append(f"if {var} < {rules['low']}: raise _Refused")
        if rules["high"] is not None:
            checks.append(f"if {var} > {rules['high']}: raise _Refused")
    elif kind == "bool":
        checks.append(f"if not isinstance({var}, bool): raise _Refused")
    elif kind == "float":
        checks.append(f"{var} = _fast_float({var})")
    elif kind == "list":
        checks.append(f"{var} = _fast_objects({var})")
    elif kind == "dict" and rules["nested"] is not None:
        env[f"N{index}"] = _fast_plan(rules["nested"])
        checks.append(f"{var} = _fast_nested(N{index}, {var})")
    elif kind == "dict":
        checks.append(f"{var} = _fast_counts({var})")
    else:  # time
        checks.append(f"{var} = _fast_utc({var})")
    none = "pass" if rules["nullable"] else "raise _Refused"
    key = _WINDOW_KEYS.get(name, name)  # the wire's name (a window's `from`/`to`), as the schema's data_key
    return [f"    {var} = data.get({key!r}, _MISSING)",
            f"    if {var} is _MISSING: {missing}",
            f"    elif {var} is None: {none}",
            "    else:", *[f"        {line}" for line in checks]]


@cache
def _fast_plan(cls: type) -> Callable[[dict], dict]:
    """The contract's fields checked by one generated function (a closure per field cost 2.5x as much).

    scores.v1's nested windows get their own plan (ScoreWindow's), called per window: the schema's nested
    load was 69 % of the ranking consumer's samples (issue 24)."""
    rules = wire_fields(cls)
    env: dict = {"_Refused": _Refused, "_MISSING": _MISSING, "_fast_utc": _fast_utc, "_fast_float": _fast_float,
                 "_fast_counts": _fast_counts, "_fast_objects": _fast_objects, "_fast_nested": _fast_nested}
    lines = ["def check(data):"]
    for index, (name, r) in enumerate(rules):
        lines += _field_source(index, name, r, cls, env)
    lines.append("    return {" + ", ".join(f"{name!r}: v{i}" for i, (name, _) in enumerate(rules)) + "}")
    exec("\n".join(lines), env)  # the source is built above from the contract's own rules, nothing else
    return env["check"]


def load_fast(cls: type, data: dict) -> dict | None:
    """What `schema_for(cls).load(data)` returns, or None where the schema would refuse (or cannot be
    checked by hand). Why: marshmallow was ~40% of the scoring consumer's time (28 µs a vote; this ~5)."""
    try:
        return _fast_plan(cls)(data)
    except _Refused:
        return None


def load_vote_event_fast(data: dict) -> dict | None:
    """votes.v1's fast check (scoring's and the replays' hot loop)."""
    return load_fast(VoteEvent, data)


# ---------------------------------------------------------------------------------------------- bytes -> event

E = TypeVar("E")


def json_object(raw: bytes | None) -> dict:
    """A Kafka record's value as a JSON object, or EventError with the reason."""
    if raw is None:  # a tombstone: nothing to count, and no reason to crash
        raise EventError("invalid: message has no value")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise EventError("unparsable: not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise EventError(f"unparsable: {exc.msg}") from None
    except RecursionError:
        raise EventError("unparsable: nested too deeply") from None
    if not isinstance(data, dict):
        raise EventError("invalid: message is not a JSON object")
    return data


def load(cls: type[E], data: dict) -> E:
    """A decoded JSON object to the contract's event, or EventError (marshmallow's wording as reason)."""
    return cls(**load_fields(cls, data))


def load_fields(cls: type, data: dict) -> dict:
    """The contract's fields of a decoded JSON object, as `load` gives them to the event (no instance built:
    scoring's hot loop keeps them as they are)."""
    loaded = load_fast(cls, data)
    if loaded is None:
        try:
            loaded = schema_for(cls).load(data)
        except ValidationError as exc:
            raise EventError("invalid: " + json.dumps(exc.messages, ensure_ascii=False, default=str)[:500]) from None
        except OverflowError:  # a time like 0001-01-01T00:00+01:00 has no UTC form
            raise EventError("invalid: a time has no UTC form") from None
    if cls is ScoresEvent:
        loaded["latest_comments"] = tuple(loaded.get("latest_comments") or ())
    return loaded


def decode(cls: type[E], raw: bytes | None) -> E:
    """The one way to turn Kafka bytes into an event of a contract; EventError says why not."""
    return load(cls, json_object(raw))


# Kept for readers of the older names (tests, tools): each is `decode` of its contract.
def parse_vote_event(raw: bytes) -> VoteEvent:
    return decode(VoteEvent, raw)


def parse_comment_event(raw: bytes) -> CommentEvent:
    return decode(CommentEvent, raw)


def parse_scores_event(raw: bytes) -> ScoresEvent:
    return decode(ScoresEvent, raw)


_CANONICAL_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")  # ASCII digits


def canonical_time(text: object) -> str | None:
    """The text itself when it is already a time as events write it (UTC, milliseconds, Z), else None:
    such a time passes from a vote to its ballot without being formatted again."""
    return text if isinstance(text, str) and _CANONICAL_TIME.fullmatch(text) else None


def _wire_time(value: datetime | str) -> str:
    return value if isinstance(value, str) else iso_utc(value)


def _ballot_json(ballot: Mapping) -> dict:
    """One ballot's wire form, built by hand from its fields (scoring builds ~10,000 a second; asdict costs ~4x)."""
    received, comment_at = ballot["received_at"], ballot["comment_at"]
    return {"schema": SCHEMA_BALLOTS_V1, "vote_id": ballot["vote_id"], "district_code": ballot["district_code"],
            "kind": ballot["kind"], "decision": ballot["decision"], "day": ballot["day"], "score": ballot["score"],
            "comment": ballot["comment"], "submitted_at": _wire_time(ballot["submitted_at"]),
            "channel": ballot["channel"], "service": ballot["service"], "staff": ballot["staff"],
            "received_at": _wire_time(received) if received else None,
            "comment_at": _wire_time(comment_at) if comment_at else None,
            "flag_reason": ballot["flag_reason"], "votes_offset": ballot["votes_offset"],
            "source_ref": ballot.get("source_ref")}


def ballots_record(district_code: str, ballots: Iterable[BallotEvent | Mapping]) -> bytes:
    """One Kafka record of ballots.v1: a district's ballots decided in one batch, each a whole `BallotEvent`.

    Why a record holds several events: kafka-python costs ~21 µs of Python per record sent, as much as scoring
    spends on the vote itself (bench-ballots); one record per district per batch keeps the stream within the
    issue's 15 % of scoring's rate. Readers take `ballots` one by one, idempotent by (vote_id, kind).
    """
    items = [_ballot_json(b if isinstance(b, Mapping) else b.__dict__) for b in ballots]
    body = {"schema": SCHEMA_BALLOTS_V1, "district_code": district_code, "ballots": items}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_ballots(raw: bytes | None) -> list[BallotEvent]:
    """A ballots.v1 record to its ballots (the one way in); EventError if the record or any ballot is invalid."""
    data = json_object(raw)
    if data.get("schema") != SCHEMA_BALLOTS_V1:
        raise EventError("invalid: not a ballots.v1 record")
    items = data.get("ballots")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise EventError("invalid: a ballots.v1 record carries a list of ballots")
    ballots = [load(BallotEvent, item) for item in items]
    if any(b.district_code != data.get("district_code") for b in ballots):
        raise EventError("invalid: a ballot of another district in the record")
    return ballots

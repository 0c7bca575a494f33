"""The hand-written votes.v1 check must agree with VoteEventSchema: same acceptances, same results.

Scoring trusts `load_vote_event_fast` for every vote and asks marshmallow only when it refuses, so
an input the fast path accepts but the schema refuses (or a different result) would count a vote
the contract rejects. Hypothesis builds valid events and mutates them field by field.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from shared.events import FLAG_REASONS, VoteEvent, load_vote_event_fast, schema_for
from shared.vote_rules import CHANNELS, SCHEMA_VOTES_V1, SERVICES

SCHEMA = schema_for(VoteEvent)
FIELDS = ("schema", "vote_id", "district_code", "score", "comment", "staff", "service", "channel",
          "voter_key", "submitted_at", "received_at", "flagged", "flag_reason")

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.floats(allow_nan=False),
                         st.text(max_size=8))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=5)

offsets = st.sampled_from(["Z", "+00:00", "+07:00", "-05:30", "+0700", "+07", "+24:00", "+07:00:30", "", "z"])
iso_times = st.builds(
    lambda moment, sep, spec, offset: moment.isoformat(sep=sep, timespec=spec) + offset,
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.sampled_from(["T", " ", "t"]),
    st.sampled_from(["auto", "hours", "minutes", "seconds", "milliseconds", "microseconds"]),
    offsets,
)
times = st.one_of(iso_times, st.sampled_from(["2026-11-21", "2026-11-21T09:30", "20261121T093000Z",
                                              "2026-W47-6T09:30Z", "0001-01-01T00:00:00+01:00",
                                              "9999-12-31T23:59:59-01:00", "not a time", " 2026-11-21T09:30Z"]))
texts = st.one_of(st.text(max_size=70), st.sampled_from(["", "x" * 64, "x" * 65]))
codes = st.one_of(st.from_regex(r"\A\d{4}\Z"), st.sampled_from(["3706", "3706\n", "๓๗๐๖", "370", "37061", "37a6"]),
                  st.text(max_size=6))
voter_keys = st.one_of(st.none(), st.from_regex(r"\A[0-9a-f]{64}\Z"), st.just("a" * 64 + "\n"),
                       st.just("A" * 64), st.text(max_size=5))

valid_events = st.fixed_dictionaries(
    {"schema": st.just(SCHEMA_VOTES_V1), "vote_id": st.text(min_size=1, max_size=64),
     "district_code": st.from_regex(r"\A\d{4}\Z"), "score": st.integers(1, 5), "channel": st.sampled_from(CHANNELS),
     "submitted_at": iso_times, "received_at": iso_times},
    optional={"comment": st.text(max_size=20), "staff": st.one_of(st.none(), st.text(max_size=10)),
              "service": st.one_of(st.none(), st.sampled_from(sorted(SERVICES))), "voter_key": voter_keys,
              "flagged": st.booleans(), "flag_reason": st.one_of(st.none(), st.sampled_from(FLAG_REASONS)),
              "extra": json_values},
)

replacements = {
    "schema": st.one_of(st.sampled_from([SCHEMA_VOTES_V1, "votes.v2", "VOTES.V1", ""]), json_values),
    "vote_id": st.one_of(texts, json_values),
    "district_code": st.one_of(codes, json_values),
    "score": st.one_of(st.integers(-2, 8), st.sampled_from([True, False, 5.0, "5", 2**70]), json_values),
    "comment": st.one_of(texts, json_values),
    "staff": st.one_of(texts, json_values),
    "service": st.one_of(st.sampled_from([*SERVICES, "ID_CARD", ""]), json_values),
    "channel": st.one_of(st.sampled_from([*CHANNELS, "QR", "sms"]), json_values),
    "voter_key": st.one_of(voter_keys, json_values),
    "submitted_at": st.one_of(times, json_values),
    "received_at": st.one_of(times, json_values),
    "flagged": st.one_of(st.booleans(), st.sampled_from([0, 1, "true", None]), json_values),
    "flag_reason": st.one_of(st.none(), texts, json_values),
}


@st.composite
def mutated_events(draw) -> dict:
    event = draw(valid_events)
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=3, unique=True)):
        if draw(st.booleans()):
            event.pop(name, None)
        else:
            event[name] = draw(replacements[name])
    return event


def schema_outcome(data: dict):
    try:
        return "ok", SCHEMA.load(data)
    except ValidationError:
        return "refused", None


def fast_outcome(data: dict):
    result = load_vote_event_fast(data)
    return ("refused", None) if result is None else ("ok", result)


def tz_exact(result: dict | None):
    """Equality of datetimes ignores the zone; compare the zone too (both must be UTC itself)."""
    if result is None:
        return None
    return {k: (v, v.tzinfo) if isinstance(v, datetime) else (v, type(v)) for k, v in result.items()}


@settings(max_examples=3000, deadline=None)
@given(st.one_of(valid_events, mutated_events()))
@example({"schema": SCHEMA_VOTES_V1, "vote_id": "v", "district_code": "3706\n", "score": 5, "channel": "qr",
          "submitted_at": "2026-11-21T09:30:00+07:00", "received_at": "2026-11-21T02:30:00Z"})
@example({"schema": SCHEMA_VOTES_V1, "vote_id": "v", "district_code": "3706", "score": True, "channel": "qr",
          "submitted_at": "2026-11-21T09:30:00+07:00", "received_at": "2026-11-21T02:30:00Z"})
@example({"schema": SCHEMA_VOTES_V1, "vote_id": "v", "district_code": "3706", "score": 1, "channel": "qr",
          "comment": None, "submitted_at": "2026-11-21T09:30:00+07:00", "received_at": "2026-11-21T02:30:00Z"})
def test_fast_path_agrees_with_the_schema(data: dict) -> None:
    schema_kind, schema_result = schema_outcome(data)
    fast_kind, fast_result = fast_outcome(data)
    assert fast_kind == schema_kind
    assert tz_exact(fast_result) == tz_exact(schema_result)
    if fast_result is not None:
        assert fast_result["submitted_at"].tzinfo is UTC and fast_result["received_at"].tzinfo is UTC


def test_the_generator_reaches_both_verdicts() -> None:
    """A property test whose inputs are all valid (or all invalid) proves nothing."""
    verdicts = set()

    @settings(max_examples=400, deadline=None)
    @given(st.one_of(valid_events, mutated_events()))
    def collect(data: dict) -> None:
        verdicts.add(schema_outcome(data)[0])

    collect()
    assert {"ok", "refused"} <= verdicts

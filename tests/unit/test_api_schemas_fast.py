"""The vote schemas' fast path (VoteRequestSchema._fast_load) gives exactly what marshmallow gives: the same
loaded vote for every body it accepts, and marshmallow's own errors for every body it passes on."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from shared.api_schemas import BatchItemSchema, VoteRequestSchema
from shared.vote_rules import CHANNELS, SERVICES

TEXTS = st.one_of(
    st.just(""), st.just("  บริการดีมาก  "), st.just("ดี\r\nมาก"), st.just("a\tb"), st.just("x\x00y"), st.just("x\x85"),
    st.just("ก" * 1001), st.just("ก" * 1000), st.just(" " * 5), st.just("e\u0301"), st.text(max_size=30),
)
ANY = st.one_of(st.none(), st.booleans(), st.integers(-3, 9), st.floats(allow_nan=False), TEXTS,
                st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=1))
VALUES = {
    "district_code": st.one_of(st.sampled_from(["4408", "3706", "1001", "๔๔๐๘", "4408\n", "44080"]), ANY),
    "score": st.one_of(st.sampled_from([0, 1, 5, 6, True, False, 4.0, "4", None]), ANY),
    "comment": st.one_of(st.sampled_from([None, 5, "ok"]), TEXTS, ANY),
    "staff": st.one_of(st.sampled_from([None, 5, "ok", "a\nb"]), TEXTS, ANY),
    "service": st.one_of(st.sampled_from([*SERVICES, "other-thing"]), ANY),
    "channel": st.one_of(st.sampled_from([*CHANNELS, "fax"]), ANY),
    "voter_id": st.one_of(st.sampled_from([None, 5, "ok", "a\nb", "x" * 300]), TEXTS, ANY),
    "submitted_at": st.one_of(st.just("2026-11-21T09:30:00+07:00"), ANY),
    "idempotency_key": st.one_of(st.sampled_from(["k-1", "a b", "x" * 201, "ok\n", "ทดสอบ"]), ANY),
    "unknown_field": ANY,
}
VALID = {"district_code": "4408", "score": 4, "comment": "ดีมาก", "staff": "งานทะเบียน", "voter_id": "device-1"}


@st.composite
def bodies(draw) -> dict:
    """A valid vote with a few fields dropped, changed or added: near the line the fast path draws."""
    body = {k: v for k, v in VALID.items() if not draw(st.booleans()) or k in ("district_code", "score")}
    for name in draw(st.lists(st.sampled_from(sorted(VALUES)), min_size=1, max_size=2, unique=True)):
        body[name] = draw(VALUES[name])
    if draw(st.integers(0, 9)) == 0:
        body.pop(draw(st.sampled_from(sorted(body))) if body else None, None)
    return body


BODIES = st.one_of(bodies(), st.fixed_dictionaries({}, optional=VALUES))


def outcome(load, body):
    try:
        return "ok", load(body)
    except ValidationError as exc:
        return "error", exc.messages


def check(schema, body) -> None:
    assert outcome(schema.load, body) == outcome(lambda b: Schema.load(schema, b), body)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODIES)
def test_a_vote_loads_the_same_either_way(body):
    check(VoteRequestSchema(), body)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODIES)
def test_a_batch_item_loads_the_same_either_way(body):
    check(BatchItemSchema(), body)


def test_the_fast_path_takes_the_common_vote():
    """Otherwise the equality above would hold trivially (everything passed on to marshmallow)."""
    vote = {"district_code": "4408", "score": 4, "comment": " ดีมาก ", "service": SERVICES[0] if isinstance(
        SERVICES, (list, tuple)) else next(iter(SERVICES)), "voter_id": "device-1", "channel": "qr"}
    assert VoteRequestSchema()._fast_load(vote) == Schema.load(VoteRequestSchema(), vote)
    assert BatchItemSchema()._fast_load({**vote, "idempotency_key": "k-1"})["idempotency_key"] == "k-1"
    assert VoteRequestSchema()._fast_load({**vote, "comment": "x\x00"}) is None
    assert VoteRequestSchema()._fast_load({**vote, "submitted_at": "2026-11-21T09:30:00+07:00"}) is None

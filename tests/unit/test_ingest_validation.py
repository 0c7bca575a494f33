"""Every malformed, oversized, forged or unauthenticated request gets a precise 4xx, never a 5xx."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.ingest_app import make_harness

GOOD = {"district_code": "3706", "score": 5}


def vote(**changes):
    body = dict(GOOD)
    for key, value in changes.items():
        if value is ...:
            body.pop(key, None)
        else:
            body[key] = value
    return body


# (id, body, status, error code, field that must be named or None)
BAD_BODIES = [
    ("missing-district", vote(district_code=...), 422, "validation_failed", "district_code"),
    ("missing-score", vote(score=...), 422, "validation_failed", "score"),
    ("score-string", vote(score="5"), 422, "validation_failed", "score"),
    ("score-float", vote(score=5.0), 422, "validation_failed", "score"),
    ("score-true", vote(score=True), 422, "validation_failed", "score"),
    ("score-false", vote(score=False), 422, "validation_failed", "score"),
    ("score-zero", vote(score=0), 422, "validation_failed", "score"),
    ("score-six", vote(score=6), 422, "validation_failed", "score"),
    ("score-negative", vote(score=-1), 422, "validation_failed", "score"),
    ("score-null", vote(score=None), 422, "validation_failed", "score"),
    ("score-huge", vote(score=10**30), 422, "validation_failed", "score"),
    ("score-list", vote(score=[5]), 422, "validation_failed", "score"),
    ("district-bangkok-khet", vote(district_code="1001"), 422, "validation_failed", "district_code"),
    ("district-unknown", vote(district_code="9999"), 422, "validation_failed", "district_code"),
    ("district-int", vote(district_code=3706), 422, "validation_failed", "district_code"),
    ("district-short", vote(district_code="370"), 422, "validation_failed", "district_code"),
    ("district-letters", vote(district_code="37A6"), 422, "validation_failed", "district_code"),
    ("district-thai-digits", vote(district_code="๓๗๐๖"), 422, "validation_failed", "district_code"),
    ("district-null", vote(district_code=None), 422, "validation_failed", "district_code"),
    ("unknown-field", vote(rating=5), 422, "validation_failed", "rating"),
    ("voter-key-forged", vote(voter_key="a" * 64), 422, "validation_failed", "voter_key"),
    ("vote-id-forged", vote(vote_id="x"), 422, "validation_failed", "vote_id"),
    ("comment-too-long", vote(comment="ก" * 1001), 422, "validation_failed", "comment"),
    ("comment-control", vote(comment="ดี\x00มาก"), 422, "validation_failed", "comment"),
    ("comment-escape", vote(comment="\x1b[31m"), 422, "validation_failed", "comment"),
    ("comment-number", vote(comment=5), 422, "validation_failed", "comment"),
    ("comment-object", vote(comment={"a": 1}), 422, "validation_failed", "comment"),
    ("staff-multiline", vote(staff="a\nb"), 422, "validation_failed", "staff"),
    ("staff-too-long", vote(staff="x" * 121), 422, "validation_failed", "staff"),
    ("service-unknown", vote(service="passport"), 422, "validation_failed", "service"),
    ("channel-unknown", vote(channel="sms"), 422, "validation_failed", "channel"),
    ("submitted-future", vote(submitted_at="2026-11-21T12:00:00+07:00"), 422, "validation_failed", "submitted_at"),
    ("submitted-old", vote(submitted_at="2026-11-10T10:00:00+07:00"), 422, "validation_failed", "submitted_at"),
    ("submitted-naive", vote(submitted_at="2026-11-21T09:00:00"), 422, "validation_failed", "submitted_at"),
    ("submitted-garbage", vote(submitted_at="yesterday"), 422, "validation_failed", "submitted_at"),
    ("submitted-number", vote(submitted_at=1763694000), 422, "validation_failed", "submitted_at"),
    ("voter-id-too-long", vote(voter_id="u" * 257), 422, "validation_failed", "voter_id"),
    ("body-array", [GOOD], 422, "validation_failed", "_body"),
    ("body-string", "vote", 422, "validation_failed", "_body"),
    ("body-null", None, 422, "validation_failed", "_body"),
    ("channel-mismatch", vote(channel="qr"), 403, "wrong_channel", "channel"),
]


@pytest.mark.parametrize(("case", "body", "status", "error", "field"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_bad_body_gets_precise_error_and_nothing_is_published(case, body, status, error, field):
    h = make_harness()
    response = h.post(body)
    assert response.status_code == status, response.get_json()
    payload = response.get_json()
    assert payload["error"] == error
    assert payload["message"]
    if field:
        assert field in payload["fields"], payload
        assert all(isinstance(r, str) and r for r in payload["fields"][field])
    assert h.publisher.events == []


# (id, kwargs for Harness.post, status, error)
BAD_REQUESTS = [
    ("no-auth", {"channel": None}, 401, "unauthenticated"),
    ("wrong-scheme", {"channel": None, "headers": {"Authorization": "Basic a2lvc2s6a2V5"}}, 401, "unauthenticated"),
    ("forged-key", {"channel": None, "headers": {"Authorization": "Bearer kiosk-key-forged"}}, 401,
     "unauthenticated"),
    ("empty-bearer", {"channel": None, "headers": {"Authorization": "Bearer "}}, 401, "unauthenticated"),
    ("not-json", {"content_type": "text/plain"}, 415, "unsupported_media_type"),
    ("form-post", {"content_type": "application/x-www-form-urlencoded", "raw": b"score=5"}, 415,
     "unsupported_media_type"),
    ("broken-json", {"raw": b'{"district_code": "3706", "score": 5'}, 400, "malformed_json"),
    ("not-utf8", {"raw": b'{"district_code": "\xff\xfe"}'}, 400, "malformed_json"),
    ("too-deep", {"raw": b"[" * 100000 + b"]" * 100000}, 413, "payload_too_large"),
    ("oversized", {"raw": json.dumps(vote(comment="x" * 70000)).encode()}, 413, "payload_too_large"),
    ("bad-idempotency-key", {"headers": {"Idempotency-Key": "has space"}}, 400, "invalid_idempotency_key"),
    ("long-idempotency-key", {"headers": {"Idempotency-Key": "k" * 201}}, 400, "invalid_idempotency_key"),
]


@pytest.mark.parametrize(("case", "kwargs", "status", "error"), BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS])
def test_bad_request_gets_precise_error(case, kwargs, status, error):
    h = make_harness()
    kwargs = dict(kwargs)
    headers = kwargs.pop("headers", {})
    channel = kwargs.pop("channel", "kiosk")
    response = h.post(GOOD, channel=channel, headers=headers, **kwargs)
    assert response.status_code == status
    assert response.get_json()["error"] == error
    assert response.get_json()["message"]
    assert h.publisher.events == []
    if status == 401:
        assert "WWW-Authenticate" in response.headers


def test_deeply_nested_json_under_the_size_limit_is_a_400_not_a_500():
    h = make_harness()
    response = h.post(None, raw=b"[" * 30000 + b"]" * 30000)
    assert response.status_code == 400
    assert response.get_json()["error"] == "malformed_json"


def test_unknown_route_and_method_are_json_4xx():
    h = make_harness()
    assert h.client.get("/v1/nope").status_code == 404
    response = h.client.get("/v1/votes")
    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)
vote_like = st.fixed_dictionaries(
    {}, optional={"district_code": st.sampled_from(["3706", "1001", "0000", 3706]) | st.text(max_size=5),
                  "score": st.integers(-2, 8) | json_values, "comment": st.text(max_size=50) | json_values,
                  "staff": st.text(max_size=20), "service": st.sampled_from(["id_card", "x"]),
                  "channel": st.sampled_from(["kiosk", "qr", "?"]), "voter_id": st.text(max_size=10),
                  "submitted_at": st.text(max_size=30)},
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=json_values | vote_like, batch=st.booleans())
def test_arbitrary_json_never_gets_a_5xx(body, batch):
    h = make_harness(limit_per_minute=10**9)
    response = h.post({"votes": [body, body]} if batch else body, path="/v1/votes/batch" if batch else "/v1/votes")
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert set(response.get_json()) >= {"error", "message"}

"""Ingest hardening, class by class: no second count, no 5xx from input, channel rules, flags."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest

from services.ingest import domain
from shared.claims import FAILED, PUBLISHED
from tests.unit.ingest_app import NOW, make_harness

VOTE = {"district_code": "3706", "score": 4}


def batch(h, votes, channel="kiosk"):
    response = h.post({"votes": votes}, path="/v1/votes/batch", channel=channel)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


# ---------------------------------------------------------------- never a second count


class _Unserialisable:
    """Makes the drafted event of one vote impossible to serialise, whatever validation let through."""

    def __init__(self, monkeypatch, marker: str):
        original = domain.draft_vote

        def draft(request, **kwargs):
            event, count = original(request, **kwargs)
            if request.get("comment") == marker:
                from dataclasses import replace

                event = replace(event, comment="x \ud800")
            return event, count

        monkeypatch.setattr(domain, "draft_vote", draft)


def test_an_unserialisable_item_is_refused_before_any_claim_and_retries_publish_nothing_new(monkeypatch):
    _Unserialisable(monkeypatch, "poison")
    h = make_harness()
    votes = [{**VOTE, "voter_id": f"v-{i}", "idempotency_key": f"k-{i}"} for i in range(3)]
    votes.append({**VOTE, "voter_id": "v-3", "idempotency_key": "k-3", "comment": "poison"})
    first = batch(h, votes)
    assert [r["status"] for r in first] == [202, 202, 202, 422]
    assert not any(c.id.startswith("voter:") and c.vote_id not in {e.vote_id for e in h.publisher.events}
                   for c, _ in h.claims.docs.values())  # the refused item holds no voter-day
    for advance in (0, 31):  # immediately, and once any claim would be stale
        h.clock.advance(seconds=advance)
        again = batch(h, votes)
        assert [r["status"] for r in again] == [202, 202, 202, 422]
        assert [r.get("vote_id") for r in again[:3]] == [r["vote_id"] for r in first[:3]]
    assert len(h.publisher.events) == 3


def test_a_publisher_that_raises_mid_batch_gives_per_item_503_and_the_retry_reuses_vote_ids():
    h = make_harness()
    calls = {"n": 0}
    real = h.publisher.publish

    def exploding(events):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("serialiser bug")
        return real(events)

    h.publisher.publish = exploding
    votes = [{**VOTE, "voter_id": f"v-{i}", "idempotency_key": f"p-{i}"} for i in range(2)]
    first = h.post({"votes": votes}, path="/v1/votes/batch")
    assert first.status_code == 200
    assert [r["status"] for r in first.get_json()["results"]] == [503, 503]
    assert {state for (c, _) in h.claims.docs.values() for state in [c.state]} == {FAILED}
    retry = batch(h, votes)
    assert [r["status"] for r in retry] == [202, 202]
    held = {c.vote_id for c, _ in h.claims.docs.values()}
    assert {r["vote_id"] for r in retry} == held  # the ids the claims were first given
    assert len(h.publisher.events) == 2


def test_a_taken_over_voter_day_keeps_its_vote_id_and_the_new_key_follows_it():
    h = make_harness()
    h.publisher.fail = True
    assert h.post({**VOTE, "voter_id": "d-1"}, headers={"Idempotency-Key": "a"}).status_code == 503
    [voter_claim] = [c for c, _ in h.claims.docs.values() if c.id.startswith("voter:")]
    h.publisher.fail = False
    second = h.post({**VOTE, "voter_id": "d-1", "score": 2}, headers={"Idempotency-Key": "b"})
    assert second.status_code == 202
    assert second.get_json()["vote_id"] == voter_claim.vote_id
    replay = h.post({**VOTE, "voter_id": "d-1", "score": 2}, headers={"Idempotency-Key": "b"})
    assert replay.get_json()["vote_id"] == voter_claim.vote_id
    assert [e.vote_id for e in h.publisher.events] == [voter_claim.vote_id]


def test_a_stale_pending_voter_day_is_taken_over_under_its_own_vote_id():
    h = make_harness()
    h.publisher.publish = lambda events: (_ for _ in ()).throw(SystemExit)  # the process "dies" mid-request
    with pytest.raises(SystemExit):
        h.post({**VOTE, "voter_id": "d-2"})
    [held] = [c for c, _ in h.claims.docs.values() if c.id.startswith("voter:")]
    del h.publisher.publish
    h.clock.advance(seconds=5)
    assert h.post({**VOTE, "voter_id": "d-2"}).status_code == 409  # not stale yet: still in progress elsewhere
    h.clock.advance(seconds=30)
    response = h.post({**VOTE, "voter_id": "d-2"})
    assert response.status_code == 202 and response.get_json()["vote_id"] == held.vote_id
    assert h.claims.docs[held.id][0].state == PUBLISHED


# ---------------------------------------------------------------- client-caused exceptions are 4xx

BIG = "9" * 5000
MALFORMED = [
    ("big-int-score", f'{{"district_code":"3706","score":{BIG}}}', 400, "malformed_json"),
    ("big-int-nested", f'{{"district_code":"3706","score":5,"x":[{{"y":{BIG}}}]}}', 400, "malformed_json"),
    ("big-negative-int", f'{{"district_code":"3706","score":-{BIG}}}', 400, "malformed_json"),
    ("duplicate-key", '{"district_code":"3706","score":1,"score":5}', 400, "malformed_json"),
    ("duplicate-key-nested", '{"district_code":"3706","score":5,"x":{"a":1,"a":2}}', 400, "malformed_json"),
    ("surrogate-comment", '{"district_code":"3706","score":5,"comment":"x \\ud800"}', 400, "invalid_unicode"),
    ("surrogate-staff", '{"district_code":"3706","score":5,"staff":"\\udfff"}', 400, "invalid_unicode"),
    ("surrogate-voter", '{"district_code":"3706","score":5,"voter_id":"a\\ud83d"}', 400, "invalid_unicode"),
    ("surrogate-key", '{"district_code":"3706","score":5,"\\ud800":1}', 400, "invalid_unicode"),
    ("surrogate-district", '{"district_code":"\\ud800","score":5}', 400, "invalid_unicode"),
    ("surrogate-reversed-pair", '{"district_code":"3706","score":5,"comment":"\\udc00\\ud800"}', 400,
     "invalid_unicode"),
    ("year-1-plus-14", '{"district_code":"3706","score":5,"submitted_at":"0001-01-01T00:00:00+14:00"}', 422,
     "validation_failed"),
    ("year-9999-minus-14", '{"district_code":"3706","score":5,"submitted_at":"9999-12-31T23:59:59-14:00"}', 422,
     "validation_failed"),
    ("year-9999-utc", '{"district_code":"3706","score":5,"submitted_at":"9999-12-31T23:59:59Z"}', 422,
     "validation_failed"),
    ("year-1-utc", '{"district_code":"3706","score":5,"submitted_at":"0001-01-01T00:00:00Z"}', 422,
     "validation_failed"),
]


@pytest.mark.parametrize(("case", "raw", "status", "error"), MALFORMED, ids=[c[0] for c in MALFORMED])
@pytest.mark.parametrize("path", ["/v1/votes", "/v1/votes/batch"])
def test_client_caused_exceptions_are_precise_4xx(case, raw, status, error, path):
    h = make_harness()
    if path.endswith("batch"):
        raw = '{"votes":[{"district_code":"4408","score":3},' + raw + "]}"
    response = h.post(None, raw=raw.encode(), path=path)
    body = response.get_json()
    per_item = status == 422 or error == "invalid_unicode"
    if path.endswith("batch") and per_item:  # judged per item: the good vote still counts
        assert response.status_code == 200
        assert [r["status"] for r in body["results"]] == [202, 422]
        assert body["results"][1]["error"] == "validation_failed"
        assert len(h.publisher.events) == 1
        return
    assert response.status_code == status, body
    assert body["error"] == error and body["message"]
    assert h.publisher.events == []


def test_null_and_odd_batch_items_are_judged_one_by_one():
    h = make_harness()
    results = batch(h, [None, VOTE, 5, [], "x", {"district_code": "4408", "score": 2}])
    assert [r["status"] for r in results] == [422, 202, 422, 422, 422, 202]
    assert results[0]["fields"] == {"_body": ["must be a JSON object"]}


def test_a_chunked_body_over_the_limit_is_413_and_under_it_is_read_whole():
    h = make_harness()
    big = json.dumps({**VOTE, "comment": "ก" * 40000}).encode()  # 120 kB in UTF-8: over 64 KiB
    response = h.client.post("/v1/votes", input_stream=io.BytesIO(big), content_type="application/json",
                             headers={"Authorization": "Bearer kiosk-key", "Transfer-Encoding": "chunked"},
                             environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413 and response.get_json()["error"] == "payload_too_large"
    assert h.publisher.events == []
    small = json.dumps(VOTE).encode()
    response = h.client.post("/v1/votes", input_stream=io.BytesIO(small), content_type="application/json",
                             headers={"Authorization": "Bearer kiosk-key", "Transfer-Encoding": "chunked"},
                             environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 202


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("get", "/v1/votes", {"POST"}), ("put", "/v1/votes/batch", {"POST"}), ("delete", "/d/3706", {"GET", "POST"}),
])
def test_405_names_the_allowed_methods(method, path, allowed):
    h = make_harness()
    response = getattr(h.client, method)(path)
    assert response.status_code == 405 and response.get_json()["error"] == "method_not_allowed"
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


# ---------------------------------------------------------------- channel rules

@pytest.mark.parametrize(("channel", "status"), [
    ("qr", 422), ("line", 422), ("web", 422), ("kiosk", 202), ("import", 202),
])
def test_public_channels_must_name_the_voter(channel, status):
    h = make_harness()
    response = h.post(VOTE, channel=channel)
    assert response.status_code == status
    if status == 422:
        assert "voter_id" in response.get_json()["fields"]
        assert h.post({**VOTE, "voter_id": "someone"}, channel=channel).status_code == 202


@pytest.mark.parametrize(("channel", "offset", "status"), [
    ("qr", timedelta(0), 202), ("qr", -timedelta(minutes=4), 202), ("qr", -timedelta(minutes=6), 422),
    ("qr", -timedelta(days=1), 422), ("web", -timedelta(hours=3), 422), ("line", -timedelta(days=2), 422),
    ("kiosk", -timedelta(days=6, hours=23), 202), ("import", -timedelta(days=3), 202),
    ("kiosk", -timedelta(days=7, hours=1), 422), ("kiosk", timedelta(minutes=10), 422),
])
def test_only_offline_channels_may_backdate(channel, offset, status):
    h = make_harness()
    when = (NOW + offset).isoformat()
    response = h.post({**VOTE, "voter_id": "v", "submitted_at": when}, channel=channel)
    assert response.status_code == status, response.get_json()
    if status == 422:
        assert "submitted_at" in response.get_json()["fields"]


def test_backdating_does_not_buy_a_voter_more_days():
    h = make_harness()
    statuses = [h.post({**VOTE, "voter_id": "same", "submitted_at": (NOW - timedelta(days=d)).isoformat()}).status_code
                for d in range(8)]
    assert statuses == [202] + [409] * 7
    h.clock.advance(days=1)
    assert h.post({**VOTE, "voter_id": "same", "submitted_at": (NOW - timedelta(days=3)).isoformat()}).status_code \
        == 202


# ---------------------------------------------------------------- flagged, not lost

def test_votes_past_the_address_burst_are_published_flagged_and_the_sender_is_not_told():
    h = make_harness(limit_per_minute=10**6)
    responses = [h.post({**VOTE, "voter_id": f"fresh-cookie-{i}"}, channel="qr") for i in range(13)]
    assert {r.status_code for r in responses} == {202}
    assert all(set(r.get_json()) == {"vote_id"} for r in responses)
    assert h.flag_reasons() == [None] * 10 + ["address_burst"] * 3  # scoring's decision (shared/flags.py)
    sent = [json.loads(e.to_bytes()) for e in h.publisher.events]
    assert {v["flagged"] for v in sent} == {False}  # ingest decides no flag: the event carries the hashed address
    assert len({v["address_key"] for v in sent}) == 1 and "127.0.0.1" not in json.dumps(sent)


def test_address_daily_cap_spans_bursts_and_districts_are_apart():
    h = make_harness(limit_per_minute=10**6)
    for i in range(55):
        h.clock.advance(minutes=6)  # no burst: one vote per burst window
        assert h.post({**VOTE, "voter_id": f"c-{i}"}, channel="qr").status_code == 202
    assert h.flag_reasons()[48:] == [None, None] + ["address_daily_cap"] * 5
    assert h.post({**VOTE, "district_code": "4408", "voter_id": "other"}, channel="qr").status_code == 202
    assert h.flag_reasons()[-1] is None


def test_kiosk_key_burst_counts_by_received_time_however_the_batch_is_backdated():
    h = make_harness()
    results = batch(h, [dict(VOTE) for _ in range(70)])
    assert all(r["status"] == 202 for r in results)
    assert [r is not None for r in h.flag_reasons()].count(True) == 10
    h.clock.advance(minutes=6)  # a new window
    backdated = [{**VOTE, "submitted_at": (NOW - timedelta(hours=2, minutes=i)).isoformat()} for i in range(70)]
    batch(h, backdated)  # spread over hours by the client, received in one minute: a burst all the same
    assert h.flag_reasons()[70:] == [None] * 60 + ["key_burst"] * 10


def test_a_qr_client_spreading_submitted_at_over_windows_is_still_one_burst():
    h = make_harness(limit_per_minute=10**6)
    h.clock.advance(seconds=150)  # the middle of a burst window
    spread = [timedelta(seconds=-200), timedelta(0), timedelta(seconds=200)]  # three windows by submitted_at
    for i in range(30):
        body = {**VOTE, "voter_id": f"cookie-{i}", "submitted_at": (h.clock() + spread[i % 3]).isoformat()}
        assert h.post(body, channel="qr").status_code == 202
    assert h.flag_reasons() == [None] * 10 + ["address_burst"] * 20


def test_import_keys_are_capped_per_batch_window_and_per_day():
    h = make_harness()
    caps = {"import_batch_cap": 5, "import_daily_cap": 8}
    batch(h, [{**VOTE, "submitted_at": (NOW - timedelta(days=2)).isoformat()} for _ in range(7)], channel="import")
    assert h.flag_reasons(**caps) == [None] * 5 + ["key_burst"] * 2
    h.clock.advance(minutes=6)
    batch(h, [dict(VOTE) for _ in range(4)], channel="import")
    assert h.flag_reasons(**caps)[7:] == [None] + ["key_daily_cap"] * 3


def test_a_line_user_is_capped_across_districts_per_day_and_per_burst():
    h = make_harness()
    districts = ["3706", "4408", "1101", "1102", "1103"]
    for code in districts[:3]:
        assert h.post({"district_code": code, "score": 5, "voter_id": "U-same"}, channel="line").status_code == 202
    assert h.flag_reasons() == [None, None, "voter_burst"]
    for code in districts[3:]:
        h.clock.advance(minutes=6)
        assert h.post({"district_code": code, "score": 5, "voter_id": "U-same"}, channel="line").status_code == 202
    assert h.flag_reasons()[3:] == ["voter_daily_cap", "voter_daily_cap"]
    assert h.post({"district_code": "3706", "score": 5, "voter_id": "U-other"}, channel="line").status_code == 202
    assert h.flag_reasons()[-1] is None  # another user is counted apart



"""Idempotency, one vote per voter per day, and 503 semantics, against in-memory stand-ins."""

from tests.unit.ingest_app import make_harness

VOTE = {"district_code": "4408", "score": 4, "comment": "ดีมาก โทร 0812345678", "voter_id": "device-1"}


def test_accepted_vote_is_published_with_redacted_comment_and_hashed_voter():
    h = make_harness()
    response = h.post(VOTE)
    assert response.status_code == 202
    [event] = h.publisher.events
    assert response.get_json() == {"vote_id": event.vote_id}
    assert event.comment == "ดีมาก โทร [redacted-phone]"
    assert event.voter_key and "device-1" not in event.voter_key
    assert event.channel == "kiosk" and event.received_at == h.clock.now


def test_idempotent_retry_returns_the_same_vote_id_and_publishes_once():
    h = make_harness()
    first = h.post(VOTE, headers={"Idempotency-Key": "k-1"})
    again = h.post(VOTE, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 202
    assert first.get_json() == again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(h.publisher.events) == 1


def test_idempotency_key_reused_for_another_vote_is_422():
    h = make_harness()
    h.post(VOTE, headers={"Idempotency-Key": "k-2"})
    response = h.post({**VOTE, "score": 1}, headers={"Idempotency-Key": "k-2"})
    assert response.status_code == 422
    assert response.get_json()["error"] == "idempotency_key_reused"


def test_second_vote_same_voter_same_district_same_day_is_409():
    h = make_harness()
    assert h.post(VOTE).status_code == 202
    response = h.post({**VOTE, "score": 1})
    assert response.status_code == 409
    assert response.get_json()["error"] == "already_voted_today"
    assert len(h.publisher.events) == 1
    assert h.post({**VOTE, "district_code": "3706"}).status_code == 202  # another district is fine
    h.clock.advance(days=1)
    assert h.post(VOTE).status_code == 202  # the next Bangkok day is fine


def test_broker_away_gives_503_and_the_retry_publishes_the_same_vote_id():
    h = make_harness()
    h.publisher.fail = True
    response = h.post(VOTE, headers={"Idempotency-Key": "k-3"})
    assert response.status_code == 503
    assert response.get_json()["error"] == "kafka_unavailable"
    assert int(response.headers["Retry-After"]) >= 1
    h.publisher.fail = False
    retry = h.post(VOTE, headers={"Idempotency-Key": "k-3"})
    assert retry.status_code == 202
    # the voter's day was not used up by the failed attempt
    assert [e.vote_id for e in h.publisher.events] == [retry.get_json()["vote_id"]]


def test_public_channel_is_throttled_per_ip_and_kiosk_is_not():
    h = make_harness(limit_per_minute=3)
    statuses = [h.post({"district_code": "3706", "score": 5, "voter_id": f"d-{i}"}, channel="qr").status_code
                for i in range(4)]
    assert statuses == [202, 202, 202, 429]
    limited = h.post({"district_code": "3706", "score": 5, "voter_id": "d-5"}, channel="qr")
    assert limited.get_json()["error"] == "rate_limited" and "Retry-After" in limited.headers
    assert all(h.post({"district_code": "3706", "score": 5}).status_code == 202 for _ in range(5))


def test_batch_bad_items_do_not_sink_good_ones():
    h = make_harness()
    votes = [
        {"district_code": "3706", "score": 5, "idempotency_key": "b-1"},
        {"district_code": "1001", "score": 5},
        {"district_code": "4712", "score": "5"},
        {**VOTE},
        {**VOTE, "score": 2},  # same voter, same district, same day
        "not an object",
        {"district_code": "4712", "score": 3, "idempotency_key": "b-1"},
    ]
    response = h.post({"votes": votes}, path="/v1/votes/batch")
    assert response.status_code == 200
    body = response.get_json()
    assert [r["status"] for r in body["results"]] == [202, 422, 422, 202, 409, 422, 422]
    assert body["accepted"] == 2 and body["rejected"] == 5
    assert body["results"][1]["fields"]["district_code"]
    assert len(h.publisher.events) == 2


def test_batch_refuses_a_request_level_idempotency_key():
    h = make_harness()
    response = h.post({"votes": [{"district_code": "3706", "score": 5}]}, path="/v1/votes/batch",
                      headers={"Idempotency-Key": "whole-batch"})
    assert response.status_code == 400
    assert "per vote" in response.get_json()["message"]
    assert h.publisher.events == []


def test_batch_envelope_limits():
    h = make_harness()
    assert h.post({"votes": []}, path="/v1/votes/batch").status_code == 422
    too_many = {"votes": [{"district_code": "3706", "score": 5}] * 501}
    response = h.post(too_many, path="/v1/votes/batch")
    assert response.status_code == 422 and "votes" in response.get_json()["fields"]
    assert h.publisher.events == []

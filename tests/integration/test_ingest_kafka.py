"""Ingest against the real Kafka broker and document server, over real HTTP under gunicorn."""

from __future__ import annotations

import concurrent.futures
import uuid

import pytest
import requests

from tests.integration.ingest_env import AUTH, KEYS, ingest_env
from tests.support.kafka_read import read_topic
from tests.support.processes import ServiceProcess


@pytest.fixture
def ingest(settings):
    with ServiceProcess("services.ingest.wsgi:app", ingest_env(settings)) as svc:
        yield svc


def test_vote_posted_over_http_is_in_kafka_as_the_exact_event(ingest, settings):
    body = {"district_code": "3706", "score": 5, "comment": "ประทับใจมาก ติดต่อ 081-234-5678",
            "staff": "งานทะเบียน", "service": "id_card", "voter_id": "U-line-123",
            "submitted_at": "2026-11-21T09:30:00+07:00"}
    # submitted_at must be within 7 days of now: use now instead for a timeless test
    body.pop("submitted_at")
    response = requests.post(ingest.url + "/v1/votes", json=body, headers=AUTH, timeout=10)
    assert response.status_code == 202, response.text
    vote_id = response.json()["vote_id"]
    [(key, event)] = read_topic(settings.kafka_bootstrap, settings.topics.votes)
    assert key == b"3706"
    assert set(event) == {"schema", "vote_id", "district_code", "score", "comment", "staff", "service", "channel",
                          "voter_key", "source_key", "submitted_at", "received_at", "flagged", "flag_reason",
                          "address_key", "key_ref"}
    assert event["flagged"] is False and event["flag_reason"] is None  # flags are scoring's decision
    # What scoring's key rules need, hashed: the kiosk's key (never the key itself); no address off qr/web.
    assert len(event["key_ref"]) == 32 and AUTH["Authorization"].split()[-1] not in str(event)
    assert event["address_key"] is None
    assert event["schema"] == "votes.v1"
    assert event["vote_id"] == vote_id
    assert (event["district_code"], event["score"], event["channel"]) == ("3706", 5, "kiosk")
    assert event["comment"] == "ประทับใจมาก ติดต่อ [redacted-phone]"
    assert event["staff"] == "งานทะเบียน" and event["service"] == "id_card"
    assert len(event["voter_key"]) == 64 and "U-line-123" not in str(event)
    assert event["submitted_at"] == event["received_at"] and event["received_at"].endswith("Z")


def test_idempotent_retries_across_workers_publish_once(ingest, settings):
    body = {"district_code": "4408", "score": 3}
    key = f"retry-{uuid.uuid4()}"

    def post(_):
        return requests.post(ingest.url + "/v1/votes", json=body, headers={**AUTH, "Idempotency-Key": key}, timeout=10)

    first = post(0)
    assert first.status_code == 202
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        retries = list(pool.map(post, range(24)))
    assert {r.status_code for r in retries} == {202}
    assert {r.json()["vote_id"] for r in retries} == {first.json()["vote_id"]}
    events = read_topic(settings.kafka_bootstrap, settings.topics.votes)
    assert [e["vote_id"] for _, e in events] == [first.json()["vote_id"]]


def test_concurrent_first_attempts_with_one_key_publish_once(ingest, settings):
    body = {"district_code": "4712", "score": 2}
    key = f"race-{uuid.uuid4()}"
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: requests.post(
            ingest.url + "/v1/votes", json=body, headers={**AUTH, "Idempotency-Key": key}, timeout=10), range(8)))
    accepted = {r.json()["vote_id"] for r in responses if r.status_code == 202}
    assert len(accepted) == 1
    assert {r.status_code for r in responses} <= {202, 409}
    events = read_topic(settings.kafka_bootstrap, settings.topics.votes)
    assert [e["vote_id"] for _, e in events] == list(accepted)


def test_one_vote_per_voter_per_district_per_day_holds_across_workers(ingest, settings):
    body = {"district_code": "3706", "score": 1, "voter_id": f"device-{uuid.uuid4()}"}
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(lambda _: requests.post(ingest.url + "/v1/votes", json=body, headers=AUTH,
                                                          timeout=10), range(6)))
    assert sorted(r.status_code for r in responses) == [202] + [409] * 5
    assert len(read_topic(settings.kafka_bootstrap, settings.topics.votes)) == 1


def test_batch_of_500_lands_in_kafka_keyed_by_district(ingest, settings):
    codes = ["3706", "4408", "4712", "5001", "1301"]
    votes = [{"district_code": codes[i % 5], "score": i % 5 + 1, "idempotency_key": f"b-{i}"} for i in range(500)]
    response = requests.post(ingest.url + "/v1/votes/batch", json={"votes": votes},
                             headers={"Authorization": f"Bearer {KEYS['import']}"}, timeout=30)
    assert response.status_code == 200
    assert response.json()["accepted"] == 500
    events = read_topic(settings.kafka_bootstrap, settings.topics.votes)
    assert len(events) == 500
    assert all(key.decode() == e["district_code"] and e["channel"] == "import" for key, e in events)
    again = requests.post(ingest.url + "/v1/votes/batch", json={"votes": votes},
                          headers={"Authorization": f"Bearer {KEYS['import']}"}, timeout=30)
    assert [r["vote_id"] for r in again.json()["results"]] == [r["vote_id"] for r in response.json()["results"]]
    assert len(read_topic(settings.kafka_bootstrap, settings.topics.votes)) == 500


def test_public_channel_rate_limit_is_shared_by_workers(settings):
    env = ingest_env(settings, IP_LIMIT_PER_MINUTE="5")
    with ServiceProcess("services.ingest.wsgi:app", env, workers=3) as svc:
        qr = {"Authorization": f"Bearer {KEYS['qr']}"}
        statuses = [requests.post(svc.url + "/v1/votes", json={"district_code": "3706", "score": 4,
                                                                "voter_id": f"device-{i}"}, headers=qr,
                                  timeout=10).status_code for i in range(8)]
    assert (statuses.count(202) == 5 and statuses.count(429) == 3) or _window_rolled(statuses)


def _window_rolled(statuses: list[int]) -> bool:
    """The one-minute window may roll over mid-test; then up to twice the limit passes, never more."""
    return 5 < statuses.count(202) <= 8 and statuses[:5] == [202] * 5


def test_health_readiness_metrics_and_openapi(ingest):
    assert requests.get(ingest.url + "/healthz", timeout=5).json()["status"] == "ok"
    ready = requests.get(ingest.url + "/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json()["checks"] == {"kafka": True, "store": True}
    requests.post(ingest.url + "/v1/votes", json={"district_code": "3706", "score": 9}, headers=AUTH, timeout=10)
    requests.post(ingest.url + "/v1/votes", json={"district_code": "3706", "score": 4}, headers=AUTH, timeout=10)
    metrics = requests.get(ingest.url + "/metrics", timeout=5).text
    assert 'ingest_votes_accepted_total{channel="kiosk"} 1.0' in metrics
    assert 'ingest_votes_rejected_total{channel="kiosk",reason="validation"} 1.0' in metrics
    assert 'http_requests_total{method="POST",route="/v1/votes",service="ingest",status="422"} 1.0' in metrics
    assert 'ingest_kafka_publish_seconds_bucket{event="vote",le="0.05"}' in metrics
    spec = requests.get(ingest.url + "/openapi.json", timeout=5).json()
    assert spec["openapi"].startswith("3.")
    props = spec["components"]["schemas"]["VoteRequest"]["properties"]
    expected = {"district_code", "score", "comment", "staff", "service", "channel", "voter_id", "submitted_at"}
    assert expected <= set(props)


def test_idempotency_holds_across_a_restart_of_ingest(settings):
    body = {"district_code": "5001", "score": 4}
    headers = {**AUTH, "Idempotency-Key": f"restart-{uuid.uuid4()}"}
    with ServiceProcess("services.ingest.wsgi:app", ingest_env(settings)) as svc:
        first = requests.post(svc.url + "/v1/votes", json=body, headers=headers, timeout=10)
    with ServiceProcess("services.ingest.wsgi:app", ingest_env(settings)) as svc:
        again = requests.post(svc.url + "/v1/votes", json=body, headers=headers, timeout=10)
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert len(read_topic(settings.kafka_bootstrap, settings.topics.votes)) == 1

"""The shared web edge: cached readiness, and no client address in gunicorn's own log lines."""

from __future__ import annotations

import logging
import threading
import time

from shared.logs import RedactAddresses
from shared.web import CachedReadiness, create_service_app


def test_readyz_answers_from_a_cached_check_refreshed_in_the_background():
    calls = {"kafka": 0}
    gate = threading.Event()

    def kafka_check() -> bool:
        calls["kafka"] += 1
        return not gate.is_set()

    app = create_service_app("t", readiness={"kafka": kafka_check})
    client = app.test_client()
    responses = [client.get("/readyz") for _ in range(200)]
    assert {r.status_code for r in responses} == {200}
    assert calls["kafka"] <= 2  # one real check, not one per call


def test_cached_readiness_notices_a_change_within_its_refresh_period():
    state = {"up": True}
    cache = CachedReadiness({"store": lambda: state["up"]}, refresh_s=0.05)
    assert cache.results() == {"store": True}
    state["up"] = False
    deadline = time.monotonic() + 5
    while cache.results() != {"store": False} and time.monotonic() < deadline:
        time.sleep(0.02)
    assert cache.results() == {"store": False}


def test_a_check_that_raises_means_not_ready_not_a_500():
    def broken() -> bool:
        raise RuntimeError("admin client exploded")

    app = create_service_app("t", readiness={"kafka": broken})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.get_json()["checks"] == {"kafka": False}


def test_gunicorn_lines_lose_client_addresses():
    record = logging.makeLogRecord({"msg": "Invalid request from ip=%s: %s",
                                    "args": ("203.0.113.7", "Invalid HTTP request line from 2001:db8::1")})
    assert RedactAddresses().filter(record)
    assert record.getMessage() == "Invalid request from ip=[address]: Invalid HTTP request line from [address]"
    plain = logging.makeLogRecord({"msg": "Booting worker with pid: %s", "args": (1234,)})
    RedactAddresses().filter(plain)
    assert plain.getMessage() == "Booting worker with pid: 1234"

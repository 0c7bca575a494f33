"""A bounded, seeded schema-driven fuzz run (schemathesis) against ingest's own /openapi.json.

Every generated request, with and without a valid channel key: no response may be a 5xx, and every
error from the API is the platform's JSON body. In-memory stand-ins of our store and Kafka.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import seed as hypothesis_seed

from tests.unit.ingest_app import KEYS, make_harness

HARNESS = make_harness(limit_per_minute=10**9)
APP = HARNESS.client.application
SCHEMA = schemathesis.openapi.from_wsgi("/openapi.json", APP)


@SCHEMA.parametrize()
@hypothesis_seed(20261122)
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_5xx(case):
    for headers in ({}, {"Authorization": f"Bearer {KEYS[_channel(case.body)]}"}):
        response = case.call(headers=headers)
        assert response.status_code < 500, (case.as_curl_command(), response.text[:500])
        if response.status_code >= 400 and case.path.startswith("/v1/"):
            body = response.json()
            assert body["error"] and body["message"], body


def _channel(body: object) -> str:
    """The key that lets a generated vote past authentication: its own channel's when it names one."""
    channel = body.get("channel") if isinstance(body, dict) else None
    return channel if isinstance(channel, str) and channel in KEYS else "kiosk"

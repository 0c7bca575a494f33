"""Ingest's /metrics counts the store's round trips by command; a keyed vote costs a fixed few, all keyed."""

from __future__ import annotations

import re
import uuid

import requests

from tests.integration.ingest_env import KEYS, ingest_env
from tests.support.processes import ServiceProcess

DATA_COMMANDS = ("insert", "update", "delete", "find", "findAndModify", "getMore", "aggregate", "count")


def store_operations(url: str) -> dict[str, float]:
    text = requests.get(url + "/metrics", timeout=5).text
    return {cmd: float(n) for cmd, n in re.findall(r'^store_operations_total\{command="(\w+)"\} ([\d.e+]+)$',
                                                     text, re.M) if cmd in DATA_COMMANDS}


def delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    changed = {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}
    return {k: n for k, n in changed.items() if n}


def test_a_qr_vote_with_voter_and_key_costs_three_inserts_and_the_rate_window(settings):
    with ServiceProcess("services.ingest.wsgi:app", ingest_env(settings), workers=1) as svc:
        headers = {"Authorization": f"Bearer {KEYS['qr']}", "Idempotency-Key": uuid.uuid4().hex}
        vote = {"district_code": "3706", "score": 5, "voter_id": "device-cookie-1"}
        before = store_operations(svc.url)
        assert requests.post(svc.url + "/v1/votes", json=vote, headers=headers, timeout=10).status_code == 202
        first = store_operations(svc.url)
        # Idempotency claim, voter-day claim, their two marks in one insert; the per-IP window (qr is throttled).
        assert delta(first, before) == {"insert": 3, "findAndModify": 1}
        replay = requests.post(svc.url + "/v1/votes", json=vote, headers=headers, timeout=10)
        assert replay.status_code == 202
        # The clash on insert, then the held claim and its mark read by _id.
        assert delta(store_operations(svc.url), first) == {"insert": 1, "find": 2, "findAndModify": 1}

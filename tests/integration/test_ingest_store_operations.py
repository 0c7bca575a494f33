"""Ingest's /metrics counts the store's round trips by command; a keyed vote costs a fixed few, all keyed."""

from __future__ import annotations

import json
import re
import time
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


def test_a_qr_vote_with_voter_and_key_costs_two_inserts(settings):
    with ServiceProcess("services.ingest.wsgi:app", ingest_env(settings), workers=1) as svc:
        headers = {"Authorization": f"Bearer {KEYS['qr']}", "Idempotency-Key": uuid.uuid4().hex}
        vote = {"district_code": "3706", "score": 5, "voter_id": "device-cookie-1"}
        before = store_operations(svc.url)
        assert requests.post(svc.url + "/v1/votes", json=vote, headers=headers, timeout=10).status_code == 202
        first = store_operations(svc.url)
        while delta(store_operations(svc.url), before).get("insert", 0) < 2:  # the marks are group-committed
            time.sleep(0.1)
        first = store_operations(svc.url)
        # Idempotency and voter-day claims in one insert, their two marks in another; nothing else: the per-IP
        # window is kept in the process and the flags are scoring's (docs/ingest.md, "Two round trips").
        assert delta(first, before) == {"insert": 2}
        replay = requests.post(svc.url + "/v1/votes", json=vote, headers=headers, timeout=10)
        assert replay.status_code == 202
        # The clash on insert, then the held idempotency claim and its mark read by _id (the voter-day
        # claim offered beside it clashed too, and is not read: the vote is a replay).
        assert delta(store_operations(svc.url), first) == {"insert": 1, "find": 2}


# Issue 24's aim: a keyed vote (QR, LINE) in at most two store round trips, counting its `published` marks
# (group-committed off the request's thread: one round trip for a lone vote, shared by every vote finishing
# meanwhile under load): its two claims in one insert, the marks in another. The per-IP window is kept in the
# process and the flag rules are scoring's (docs/ingest.md, "Two round trips"). A lone vote of each kind,
# every data command counted, marks included; above these the test fails.
ROUND_TRIPS = {"qr": 2, "line": 2, "kiosk": 0, "batch": 2}


def settled_round_trips(url: str) -> float:
    """The store's round trips so far, once the group-committed marks of the last request are written."""
    last, now = -1.0, sum(store_operations(url).values())
    while now != last:
        time.sleep(0.3)
        last, now = now, sum(store_operations(url).values())
    return now


def test_store_round_trips_per_vote_hold_the_floor(settings):
    keys = {**KEYS, "line": "it-line-key"}
    env = ingest_env(settings, CHANNEL_KEYS=json.dumps(keys))
    tag = uuid.uuid4().hex
    votes = {
        "qr": ({"district_code": "3706", "score": 5, "voter_id": f"cookie-{tag}"}, {"Idempotency-Key": f"q-{tag}"}),
        "line": ({"district_code": "4408", "score": 4, "voter_id": f"U{tag}"}, {"Idempotency-Key": f"l-{tag}"}),
        "kiosk": ({"district_code": "4712", "score": 3}, {}),
    }
    trips = {}
    with ServiceProcess("services.ingest.wsgi:app", env, workers=1) as svc:
        for channel, (vote, headers) in votes.items():
            before = settled_round_trips(svc.url)
            r = requests.post(svc.url + "/v1/votes", json=vote, timeout=10,
                              headers={"Authorization": f"Bearer {keys[channel]}", **headers})
            assert r.status_code == 202, r.text
            trips[channel] = settled_round_trips(svc.url) - before
        batch = [{"district_code": "5001", "score": i % 5 + 1, "idempotency_key": f"b-{tag}-{i}"} for i in range(200)]
        before = settled_round_trips(svc.url)
        r = requests.post(svc.url + "/v1/votes/batch", json={"votes": batch}, timeout=30,
                          headers={"Authorization": f"Bearer {keys['kiosk']}"})
        assert r.status_code == 200 and r.json()["accepted"] == 200, r.text
        trips["batch"] = settled_round_trips(svc.url) - before
    over = {ch: n for ch, n in trips.items() if n > ROUND_TRIPS[ch]}
    assert not over, f"store round trips above {ROUND_TRIPS}: {trips}"

"""Every route of every service, sent what an attacker sends: never a 5xx, and the API's errors in its JSON body.

A class guard rather than a list of known cases: each rule of each app's URL map gets hostile path values,
queries, bodies, headers and cookies (non-ASCII secrets, deep or invalid JSON, lone surrogates, wrong types,
oversized fields). Each service is built by its composition root on the real document server (whose encoder is
where a lone surrogate would turn into a 500) and, for ingest, the real broker.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from flask import Flask

from services.channels.config import ChannelsConfig
from services.ingest.app import create_app as ingest_app
from services.ingest.auth import ChannelKeys
from services.ingest.bootstrap import bootstrap as ingest_bootstrap
from services.ingest.config import IngestConfig
from services.notify.app import create_app as notify_app
from services.ranking.app import create_app as ranking_app
from services.ranking.bootstrap import bootstrap as ranking_bootstrap
from services.ranking.config import RankingConfig
from services.ranking.formulas import Formula
from services.ranking.store import RankingStore
from services.scoring.app import create_app as scoring_app
from services.scoring.bootstrap import bootstrap as scoring_bootstrap
from services.scoring.config import ScoringConfig
from shared import metrics, mongo
from shared.timeutil import utcnow
from tests.integration.ingest_env import KEYS, PUBLIC_BASE_URL
from tests.integration.notify_env import CENTRAL_KEY, built
from tests.support.fakes import Clock

PATH_VALUES = ["0", "-1", "9" * 40, "%00", "%ff%fe", "..%2f..%2fetc%2fpasswd", "ก" * 300, "a" * 3000, "%E0%B8",
               "%0d%0aX-Injected:1", "%3Csvg%20onload%3Dalert(1)%3E", "3706.svg"]
QUERIES = ["?page=-1&limit=abc", "?page=99999999999999999999999", "?q=" + "%00ก" * 500, "?day=2026-02-30&window=x",
           "?status=%ff&rule=<x>&province=-1&district=%00",
           "?page=" + "9" * 5000, "?per_page=" + "9" * 5000, "?page=1&per_page=" + "1" * 4301, "?days=" + "9" * 5000,
           "?lang=xx&format=../../x&cursor=!!!",
           "?q=%3Csvg%20onload%3Dalert(1)%3E&next=%0d%0aX-Injected:1&error=%3Csvg%20onload%3Dalert(1)%3E",
           "?" + "&".join(f"a{i}=1" for i in range(500))]
JSON_BODIES = [b"", b"{", b"[]", b"null", b'"x"', b"1e999", b'{"a":' * 3000 + b"1" + b"}" * 3000, b"\xff\xfe",
               b'{"note": "\\ud800", "district_code": "\\udfff", "comment": "\\ud800x"}', b'{"a": 1, "a": 2}',
               b'{"score": ' + b"9" * 5000 + b"}",
               json.dumps({"district_code": ["3706"], "score": "5", "hours": 1e308, "until": "x", "note": None,
                           "rule": {"$gt": ""}, "comment": "x" * 100_000}).encode()]
FORM_BODIES = [b"csrf=%ff&note=%00&days=1e9&scope=%ff&score=%ff&key=%ff", b"a=1&" * 2000,
               "csrf=ก&note=ก&days=-1&key=ก&lang=ก".encode()]
# Each JSON field any route takes, in a body that is otherwise right, given every JSON type but its own.
VALID_BODIES = [
    {"district_code": "3706", "score": 4, "comment": "ดี", "staff": "คุณสมชาย", "service": None, "channel": "kiosk",
     "voter_id": "device-1", "submitted_at": "2026-11-21T09:30:00+07:00", "idempotency_key": "k-1"},
    {"district_code": "3706", "rule": "low_mean", "hours": 2, "note": "ตรวจระบบ"},
    {"district_code": "3706", "until": "2026-11-23T08:00:00+07:00", "note": "ตรวจระบบ"},
    {"note": "รับทราบ"},
]
WRONG_TYPES = [{"$gt": ""}, ["3706"], [], 4, 4.5, True, None, "x", "9" * 400, 10**30]


def _typed_bodies() -> Iterator[bytes]:
    for valid in VALID_BODIES:
        for field in valid:
            for wrong in WRONG_TYPES:
                yield json.dumps({**valid, field: wrong}).encode()
    for wrong in WRONG_TYPES:  # the batch's envelope and each of its votes
        yield json.dumps({"votes": wrong}).encode()
        for field in VALID_BODIES[0]:
            yield json.dumps({"votes": [{**VALID_BODIES[0], field: wrong}]}).encode()


TYPED_BODIES = list(_typed_bodies())
# Methods no route takes, and a method name no client should be able to make a metrics label of.
ODD_METHODS = ["PROPFIND", "TRACE", "CONNECT", "PATCH", "DELETE", "PUT", "BREW", "X" * 200]
KNOWN_METHOD_LABELS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"}
HOSTILE_COOKIE = "ก" * 20
INJECTED_MARKUP = b"<svg onload=alert(1)>"  # what the path and query values above decode to
RENDERED = ("text/html", "image/svg+xml")  # where it would run (a JSON error may quote it: a string, not markup)
HEADERS = [{}, {"Authorization": "Bearer " + "ก" * 10}, {"Authorization": "Basic %%%"},
           {"Authorization": "Bearer " + "x" * 10_000}, {"If-None-Match": '"' * 50}, {"Accept-Language": "th;q=abc"},
           {"X-Forwarded-For": "not-an-ip"}, {"Range": "bytes=abc"}, {"If-Modified-Since": "yesterday"},
           {"Idempotency-Key": "ก" * 300}]
PLAIN_ARGUMENTS = {"code": "3706", "group": "small", "ext": "csv", "kind": "csv", "name": "2569-Q4",
                   "alert_id": "3706-low_mean-1", "action": "acknowledge", "token": "t"}


@pytest.fixture
def apps(settings) -> Iterator[dict[str, tuple[Flask, dict[str, str]]]]:
    """Each service's app and the key that gets a request past its authentication."""
    db = mongo.database(settings)
    notify = built(settings, Clock(utcnow()), line_url="http://127.0.0.1:9", smtp_port=9)
    # The view loads at the first request; its refresher waits an hour, not polling a dropped database all session.
    ranking_config = RankingConfig(platform=settings, formula=Formula("mean", {"min_votes": 2}),
                                   central_office_keys=(CENTRAL_KEY,), reload_interval_s=3600)
    ranking = ranking_app(ranking_bootstrap(ranking_config, store=RankingStore(db)))
    ingest = ingest_app(ingest_bootstrap(IngestConfig(platform=settings, ip_limit_per_minute=10**9),
                                         channels=ChannelsConfig(public_base_url=PUBLIC_BASE_URL),
                                         keys=ChannelKeys({name: [key] for name, key in KEYS.items()}),
                                         voter_secret=b"hostile-requests-secret"))
    found = {
        "ingest": (ingest, {"Authorization": f"Bearer {KEYS['kiosk']}"}),
        "ranking": (ranking, {"Authorization": f"Bearer {CENTRAL_KEY}"}),
        "scoring": (scoring_app(scoring_bootstrap(ScoringConfig(platform=settings), db=db)), {}),
        "notify": (notify_app(notify), {"Authorization": f"Bearer {CENTRAL_KEY}"}),
    }
    for app, _ in found.values():
        app.testing = False  # the real error handlers
    yield found


def _filled(rule: str, value: str | None) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: value if value is not None else PLAIN_ARGUMENTS.get(
        m.group(1), "x.woff2" if m.group(1) in ("path", "filename") else "x"), rule)


def _requests(rule) -> Iterator[tuple[str, str, dict]]:
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
    for method in methods:
        for value in PATH_VALUES if rule.arguments else []:
            yield method, _filled(rule.rule, value), {}
        plain = _filled(rule.rule, None)
        for query in QUERIES:
            yield method, plain + query, {}
        for headers in HEADERS:
            yield method, plain, {"headers": headers}
        if method != "GET":
            for body in JSON_BODIES:
                yield method, plain, {"data": body, "content_type": "application/json"}
            for body in FORM_BODIES:
                yield method, plain, {"data": body, "content_type": "application/x-www-form-urlencoded"}
            yield method, plain, {"data": b"x", "content_type": "text/csv"}
    plain = _filled(rule.rule, None)
    for method in ODD_METHODS:
        yield method, plain, {}


def _typed_requests(rule) -> Iterator[tuple[str, str, dict]]:
    for method in sorted(rule.methods - {"HEAD", "OPTIONS", "GET"}):
        for body in TYPED_BODIES:
            yield method, _filled(rule.rule, None), {"data": body, "content_type": "application/json"}


def test_no_route_of_any_service_answers_a_hostile_request_with_a_5xx(apps):
    failures: list[str] = []
    sent = 0
    for service, (app, credentials) in apps.items():
        for rule in app.url_map.iter_rules():
            for method, url, extra in _requests(rule):
                for authenticated in (False, True):
                    client = app.test_client()
                    for name in ("notify_csrf", "notify_centre_csrf", "notify_centre", "ssk_device", "session"):
                        client.set_cookie(name, HOSTILE_COOKIE)
                    headers = {**(credentials if authenticated else {}), **extra.get("headers", {})}
                    kwargs = {k: v for k, v in extra.items() if k != "headers"}
                    response = client.open(url, method=method, headers=headers, **kwargs)
                    sent += 1
                    if "X-Injected" in response.headers or (response.mimetype in RENDERED
                                                            and INJECTED_MARKUP in response.get_data()):
                        failures.append(f"{service} {method} {url[:120]}: our input came back as a header or markup")
                    if response.headers.get("X-Content-Type-Options") != "nosniff":
                        failures.append(f"{service} {method} {url[:120]}: no 'X-Content-Type-Options: nosniff'")
                    if response.status_code >= 500 and not _unready(service, rule.rule, response.status_code):
                        failures.append(f"{service} {method} {url[:120]} {extra!r:.160} -> {response.status_code}")
                    elif 400 <= response.status_code < 500 and url.startswith("/v1/") and response.is_json:
                        body = response.get_json()
                        if not (body.get("error") and body.get("message")):
                            failures.append(f"{service} {method} {url[:120]}: an error without error/message")
    assert sent > 2000  # the crawl reached every service's routes
    assert not failures, f"{len(failures)} hostile requests failed:\n" + "\n".join(failures[:40])
    labels = set(re.findall(rb'method="([^"]*)"', metrics.render(())[0]))
    assert {label.decode() for label in labels} <= KNOWN_METHOD_LABELS, labels


def test_every_json_field_of_every_route_refuses_a_wrong_type_with_a_4xx(apps):
    """A field of the wrong JSON type is the client's error, named in the 4xx: never a 500 from using it."""
    failures: list[str] = []
    sent = 0
    for service, (app, credentials) in apps.items():
        client = app.test_client()
        for rule in app.url_map.iter_rules():
            for method, url, extra in _typed_requests(rule):
                response = client.open(url, method=method, headers=credentials, **extra)
                sent += 1
                if response.status_code >= 500 and not _unready(service, rule.rule, response.status_code):
                    failures.append(f"{service} {method} {url} {extra['data'][:160]!r} -> {response.status_code}")
    assert sent > 1000
    assert not failures, f"{len(failures)} wrongly typed bodies failed:\n" + "\n".join(failures[:40])


def _unready(service: str, rule: str, status: int) -> bool:
    """503s that say a part is not running here, as they should: no consumer heartbeat (/readyz), no LINE secret."""
    return status == 503 and (rule == "/readyz" or rule == "/v1/channels/line/webhook")
